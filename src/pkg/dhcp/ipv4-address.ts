import { DhcpFormatError } from "./dhcp-format-error.ts";

/** The dotted-quad form of 4 bytes at `offset` (`192.0.2.1`), how every address in this package is held. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** The 4 bytes of a dotted-quad IPv4 address; anything else (leading zeros included) is a DhcpFormatError. */
export function parseIpv4(address: string): Uint8Array {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255)) {
    throw new DhcpFormatError(
      `Invalid IPv4 address: ${JSON.stringify(address)}`,
      "Write it as four decimal numbers 0-255, e.g. 192.0.2.1",
    );
  }
  return Uint8Array.from(parts, Number);
}

/**
 * The prefix length of a subnet mask (`255.255.255.0` → 24), or undefined when the mask is not a
 * run of ones followed by zeros (RFC 950 allowed such masks; nothing routes with them today).
 */
export function prefixLengthOfMask(mask: string): number | undefined {
  const value = parseIpv4(mask).reduce((sum, byte) => sum * 256 + byte, 0);
  for (let length = 0; length <= 32; length++) {
    const candidate = length === 0 ? 0 : (0xffffffff - (2 ** (32 - length) - 1)) >>> 0;
    if (candidate === value) return length;
  }
  return undefined;
}
