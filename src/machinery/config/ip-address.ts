import { isIPv4, isIPv6 } from "node:net";

/** An IP address as a number, with its family, so prefixes can be compared with integer arithmetic. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A CIDR prefix (`10.244.0.0/16`, `fd00::/64`), with the address as written and its prefix length. */
export interface Cidr extends IpAddress {
  prefix: number;
  /** Whether bits below the prefix are set (`10.0.0.1/8`): fine for an interface address, odd for a subnet. */
  hostBitsSet: boolean;
}

/**
 * Parses an IPv4 or IPv6 address in its textual form, or returns undefined. Zone indexes
 * (`fe80::1%eth0`) are refused: a config is shared between machines, whose interfaces differ.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, value: ipv4Value(text) };
  if (isIPv6(text) && !text.includes("%")) return { family: 6, value: ipv6Value(text) };
  return undefined;
}

/** Parses `address/prefix` with a prefix in range for the family, or returns undefined. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIpAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = address.family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  return { ...address, prefix, hostBitsSet: (address.value & hostMask) !== 0n };
}

/** Whether two prefixes share at least one address (never across families). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const shift = BigInt(bits - Math.min(a.prefix, b.prefix));
  return a.value >> shift === b.value >> shift;
}

function ipv4Value(text: string): bigint {
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(text: string): bigint {
  // An embedded IPv4 tail (::ffff:1.2.3.4) stands for the last two 16-bit groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  let normal = text;
  if (tail.includes(".")) {
    const v4 = ipv4Value(tail);
    normal = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const double = normal.indexOf("::");
  let groups: string[];
  if (double >= 0) {
    const left = normal.slice(0, double).split(":").filter(Boolean);
    const right = normal
      .slice(double + 2)
      .split(":")
      .filter(Boolean);
    groups = [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right];
  } else {
    groups = normal.split(":");
  }
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** The prefix with its host bits cleared (`10.0.0.1/8` → `10.0.0.0/8`). */
export function networkOf(cidr: Cidr): Cidr {
  const bits = cidr.family === 4 ? 32 : 128;
  const shift = BigInt(bits - cidr.prefix);
  return { ...cidr, value: (cidr.value >> shift) << shift, hostBitsSet: false };
}

/** The canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join(".");
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((address.value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The canonical text of a prefix (`10.244.0.0/16`). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress(cidr)}/${cidr.prefix}`;
}
