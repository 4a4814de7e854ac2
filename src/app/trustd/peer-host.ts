import { isIPv6 } from "node:net";

/**
 * The host part of a grpc-js peer string, which is `${remoteAddress}:${remotePort}` with IPv6 not
 * bracketed (`10.0.0.5:51234`, `::1:5000`; `[::1]:5000` is read too). The trailing port is always cut:
 * `::1:5000` is also a valid IPv6 address, and keeping it would give each source port its own count of
 * failed attempts. IPv4-mapped IPv6 (`::ffff:10.0.0.5`) becomes the IPv4 address, so a dual-stack
 * listener counts one client once.
 */
export function peerHost(peer: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  const host = bracketed?.[1] ?? peer.replace(/:\d+$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped?.[1] ?? host;
}

/**
 * The key failed attempts are counted under: the IPv4 address, or the /64 of an IPv6 address. One
 * IPv6 host usually holds a whole /64, so counting per address would give it 2^64 fresh budgets.
 */
export function attemptKey(host: string): string {
  if (!isIPv6(host)) return host;
  const [head = "", tail] = host.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  const prefix = groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  return `${prefix.join(":")}::/64`;
}
