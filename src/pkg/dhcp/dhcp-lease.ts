import type { DhcpMessage } from "./dhcp-message.ts";
import { prefixLengthOfMask } from "./ipv4-address.ts";

/**
 * An address lease from a DHCPACK, with what the node configures from it. Times are absolute, in
 * the clock the client was driven with (milliseconds), counted from when the request that got the
 * ACK was first sent (RFC 2131 §4.4.1), so the lease never outlives the server's view of it. An
 * infinite lease (0xffffffff) has Infinity for `renewAt`, `rebindAt` and `expiresAt`.
 */
export interface DhcpLease {
  address: string;
  prefixLength: number;
  routers: string[];
  dnsServers: string[];
  /** Option 15, only when it is a valid DNS name: it ends up in resolv.conf. */
  domainName?: string;
  /** Option 12, only when it is a valid host name: it may be set as the node's hostname. */
  hostname?: string;
  serverId: string;
  /** Lease duration (option 51), seconds. */
  leaseSeconds: number;
  obtainedAt: number;
  /** T1: renew with the server that gave the lease (unicast). */
  renewAt: number;
  /** T2: rebind with any server (broadcast). */
  rebindAt: number;
  expiresAt: number;
}

const INFINITE = 0xffffffff;

/**
 * The lease a DHCPACK grants, or a reason it cannot be used: no address, no lease time, no server
 * identifier. T1 and T2 default to 0.5 and 0.875 of the lease (RFC 2131 §4.4.5) and fall back to
 * those defaults when the server's values are not ordered T1 < T2 ≤ lease. Without a usable subnet
 * mask the prefix is the address's class (what RFC 2131 clients did before masks were universal).
 */
export function leaseFromAck(ack: DhcpMessage, requestedAt: number): DhcpLease | string {
  const { options } = ack;
  if (ack.yiaddr === "0.0.0.0") return "DHCPACK without an address (yiaddr 0.0.0.0)";
  if (options.leaseTime === undefined) return "DHCPACK without a lease time (option 51)";
  if (options.serverId === undefined) return "DHCPACK without a server identifier (option 54)";
  const lease = options.leaseTime;
  let t1 = options.renewalTime ?? lease * 0.5;
  let t2 = options.rebindingTime ?? lease * 0.875;
  if (!(t1 < t2 && t2 <= lease)) {
    t1 = lease * 0.5;
    t2 = lease * 0.875;
  }
  const at = (seconds: number) =>
    lease === INFINITE ? Number.POSITIVE_INFINITY : requestedAt + seconds * 1000;
  const mask = options.subnetMask === undefined ? undefined : prefixLengthOfMask(options.subnetMask);
  return {
    address: ack.yiaddr,
    prefixLength: mask ?? classfulPrefixLength(ack.yiaddr),
    routers: options.routers ?? [],
    dnsServers: options.dnsServers ?? [],
    ...(options.domainName !== undefined && isDnsName(options.domainName)
      ? { domainName: options.domainName }
      : {}),
    ...(options.hostname !== undefined && isDnsName(options.hostname) ? { hostname: options.hostname } : {}),
    serverId: options.serverId,
    leaseSeconds: lease,
    obtainedAt: requestedAt,
    renewAt: at(t1),
    rebindAt: at(t2),
    expiresAt: at(lease),
  };
}

function classfulPrefixLength(address: string): number {
  const first = Number(address.split(".")[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

/** RFC 1123 names: dot-separated labels of letters, digits and inner hyphens, 63 and 253 bytes at most. */
function isDnsName(name: string): boolean {
  return (
    name.length <= 253 &&
    name
      .replace(/\.$/, "")
      .split(".")
      .every((label) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label))
  );
}
