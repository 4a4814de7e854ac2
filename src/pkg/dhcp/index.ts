/**
 * DHCPv4 for a node's network configuration without a shell or a DHCP daemon: message encoding and
 * decoding (RFC 2131, RFC 2132, RFC 3396) and a client state machine that opens no socket, so the
 * protocol is tested without a network and the socket adapter stays thin.
 */
export { decodeDhcpMessage } from "./decode-dhcp-message.ts";
export {
  DEFAULT_PARAMETER_REQUEST_LIST,
  DhcpClient,
  type DhcpClientOptions,
  type DhcpClientState,
  type DhcpEvent,
  type DhcpStep,
  type DhcpTransmission,
} from "./dhcp-client.ts";
export { DhcpFormatError } from "./dhcp-format-error.ts";
export { type DhcpLease, leaseFromAck } from "./dhcp-lease.ts";
export {
  DHCP_CLIENT_PORT,
  DHCP_MESSAGE_TYPES,
  DHCP_OPTION,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  type DhcpMessageType,
  type DhcpOptions,
} from "./dhcp-message.ts";
export { encodeDhcpMessage, parseHardwareAddress } from "./encode-dhcp-message.ts";
export { formatIpv4, parseIpv4, prefixLengthOfMask } from "./ipv4-address.ts";
