/**
 * The one error a DHCP message decoder throws: the bytes are not a well-formed DHCPv4 message
 * (too short, no magic cookie, an option that runs past the end or has the wrong length for its
 * code), or a message to encode has a value the format cannot hold. A client drops such packets
 * and keeps waiting, so callers catch exactly this class and nothing else; any other exception is
 * a bug. `code` and `hint` follow src/machinery's SteleError, which src/pkg may not import.
 */
export class DhcpFormatError extends Error {
  readonly code = "invalid-argument";
  readonly hint: string;

  constructor(
    message: string,
    hint = "The packet is not a valid DHCPv4 message (RFC 2131, RFC 2132): it is dropped",
  ) {
    super(message);
    this.name = "DhcpFormatError";
    this.hint = hint;
  }
}
