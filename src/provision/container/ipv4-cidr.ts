import { SteleError } from "../../machinery/errors.ts";

/** An IPv4 network: its first address as a 32-bit number and its prefix length. */
export interface Ipv4Cidr {
  /** The network address, as an unsigned 32-bit number. */
  network: number;
  /** The prefix length, 0 to 32. */
  prefixLength: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Reads an IPv4 address in dotted-quad form as an unsigned 32-bit number, or undefined when it is
 * not one. Leading zeros are refused, because some tools read them as octal and others do not.
 */
export function parseIpv4(text: string): number | undefined {
  const match = DOTTED.exec(text);
  if (!match) return undefined;
  let value = 0;
  for (const part of match.slice(1)) {
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Writes an unsigned 32-bit number as a dotted-quad IPv4 address. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Reads the `--cidr` of a cluster: an IPv4 network written with its network address
 * (`10.5.0.0/24`). Host bits set are refused with the network meant, rather than silently cleared:
 * `10.5.0.7/24` is more often a typo for another network than a way to write 10.5.0.0/24. IPv6 is
 * refused by name, because the provisioner does not address nodes over it yet.
 */
export function parseIpv4Cidr(text: string, options: { flag: string }): Ipv4Cidr {
  const { flag } = options;
  const invalid = (detail: string, hint: string) =>
    new SteleError("invalid-argument", `Invalid ${flag} ${JSON.stringify(text)}: ${detail}`, hint);
  if (text.includes(":")) {
    throw invalid("IPv6 networks are not supported yet", `pass an IPv4 network such as 10.5.0.0/24`);
  }
  const slash = text.indexOf("/");
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  const prefixText = slash < 0 ? "" : text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9]\d?)$/.test(prefixText) || Number(prefixText) > 32) {
    throw invalid("expected an IPv4 network ADDRESS/PREFIX", "write it like 10.5.0.0/24");
  }
  const prefixLength = Number(prefixText);
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    throw invalid(
      `host bits are set (the network of ${formatIpv4(address)}/${prefixLength} is ${formatIpv4(network)}/${prefixLength})`,
      `pass the network address: ${formatIpv4(network)}/${prefixLength}`,
    );
  }
  return { network, prefixLength };
}

/** How many addresses a network holds, network and broadcast addresses included. */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

/** Whether two IPv4 networks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

/** Writes a network as `ADDRESS/PREFIX`. */
export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}
