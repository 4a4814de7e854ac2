/** The DHCP message types of option 53 (RFC 2132 §9.6), by name. */
export type DhcpMessageType =
  | "DISCOVER"
  | "OFFER"
  | "REQUEST"
  | "DECLINE"
  | "ACK"
  | "NAK"
  | "RELEASE"
  | "INFORM";

/** Option 53's values, in code order: index + 1 is the code. */
export const DHCP_MESSAGE_TYPES: readonly DhcpMessageType[] = [
  "DISCOVER",
  "OFFER",
  "REQUEST",
  "DECLINE",
  "ACK",
  "NAK",
  "RELEASE",
  "INFORM",
];

/** The option codes this package reads and writes by name (RFC 2132). */
export const DHCP_OPTION = {
  pad: 0,
  subnetMask: 1,
  routers: 3,
  dnsServers: 6,
  hostname: 12,
  domainName: 15,
  requestedIp: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterRequestList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  clientId: 61,
  end: 255,
} as const;

/** UDP ports: servers listen on 67, clients on 68 (RFC 2131 §4.1). */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

/**
 * The options of a DHCP message, typed for the ones a client needs (RFC 2132), every other option
 * kept as bytes in `other` so that decoding and encoding again loses nothing. Times are seconds;
 * addresses dotted quads; strings NVT ASCII, held byte for byte (latin1).
 */
export interface DhcpOptions {
  messageType?: DhcpMessageType;
  subnetMask?: string;
  routers?: string[];
  dnsServers?: string[];
  hostname?: string;
  domainName?: string;
  requestedIp?: string;
  leaseTime?: number;
  serverId?: string;
  parameterRequestList?: number[];
  /** Option 56: a server's reason, in a NAK. */
  message?: string;
  maxMessageSize?: number;
  renewalTime?: number;
  rebindingTime?: number;
  clientId?: Uint8Array;
  /** Options without a field above, in the order they came. */
  other?: Array<{ code: number; data: Uint8Array }>;
}

/**
 * A DHCPv4 message (RFC 2131 §2): the BOOTP header and the options after the magic cookie.
 * `chaddr` is the client's hardware address as `aa:bb:cc:dd:ee:ff` (its length is `hlen`); the
 * broadcast bit is the only flag RFC 2131 defines, so it is the only one held.
 */
export interface DhcpMessage {
  op: "request" | "reply";
  /** Hardware type (ARP's): 1 for Ethernet. */
  htype: number;
  hops: number;
  xid: number;
  secs: number;
  broadcast: boolean;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  chaddr: string;
  sname: string;
  file: string;
  options: DhcpOptions;
}
