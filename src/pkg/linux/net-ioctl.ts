import { libc } from "./libc.ts";
import { check, LinuxCallError } from "./syscall-error.ts";

/** ioctl request numbers of linux/sockios.h that Stele uses. */
export const SOCKIOS = {
  SIOCADDRT: 0x890b,
  SIOCGIFFLAGS: 0x8913,
  SIOCSIFFLAGS: 0x8914,
  SIOCSIFADDR: 0x8916,
  SIOCSIFNETMASK: 0x891c,
} as const;

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
/** IFNAMSIZ: an interface name fits in 15 bytes plus its NUL. */
const IFNAMSIZ = 16;
/** sizeof(struct ifreq) on x86_64: the name, then a 24-byte union. */
const IFREQ_SIZE = 40;
/** sizeof(struct rtentry) on x86_64, and its field offsets (linux/route.h, LP64 padding). */
const RTENTRY_SIZE = 120;
const RT_DST = 8;
const RT_GATEWAY = 24;
const RT_GENMASK = 40;
const RT_FLAGS = 56;
const RT_METRIC = 80;
const IFF_UP = 0x1;
const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;

/**
 * A `struct sockaddr_in` (16 bytes) for a dotted IPv4 address: family in host order (x86 is little
 * endian), port 0, the address in network order.
 */
export function encodeSockaddrIn(address: string): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.writeUInt16LE(AF_INET, 0);
  ipv4Bytes(address).copy(buffer, 4);
  return buffer;
}

/**
 * A `struct ifreq` naming `name`, with `sockaddr` (or 16 zero bytes) in its union: what
 * SIOCSIFADDR, SIOCSIFNETMASK and SIOCGIFFLAGS take.
 */
export function encodeIfreq(name: string, sockaddr?: Buffer): Buffer {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length === 0 || bytes.length >= IFNAMSIZ || name.includes("\0")) {
    throw new LinuxCallError(
      "invalid-argument",
      `Invalid interface name: ${JSON.stringify(name)}`,
      "An interface name has 1 to 15 bytes, as `ip link` shows it",
    );
  }
  const buffer = Buffer.alloc(IFREQ_SIZE);
  bytes.copy(buffer, 0);
  sockaddr?.copy(buffer, IFNAMSIZ);
  return buffer;
}

/** What a route sends where: `destination/prefix` through `gateway` (none: on-link). */
export interface Ipv4Route {
  destination: string;
  prefix: number;
  gateway?: string;
  metric?: number;
}

/**
 * A `struct rtentry` for SIOCADDRT. The device is left out (NULL): the kernel picks the interface
 * whose subnet holds the gateway, which is the one just addressed. rt_metric is stored plus one, as
 * route(8) does, since the kernel subtracts one.
 */
export function encodeRtentry(route: Ipv4Route): Buffer {
  const buffer = Buffer.alloc(RTENTRY_SIZE);
  encodeSockaddrIn(route.destination).copy(buffer, RT_DST);
  if (route.gateway !== undefined) encodeSockaddrIn(route.gateway).copy(buffer, RT_GATEWAY);
  encodeSockaddrIn(prefixToNetmask(route.prefix)).copy(buffer, RT_GENMASK);
  buffer.writeUInt16LE(RTF_UP | (route.gateway !== undefined ? RTF_GATEWAY : 0), RT_FLAGS);
  buffer.writeInt16LE((route.metric ?? 0) + 1, RT_METRIC);
  return buffer;
}

/** The dotted netmask of a prefix length (24 → 255.255.255.0). */
export function prefixToNetmask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new LinuxCallError(
      "invalid-argument",
      `Invalid IPv4 prefix length: ${prefix}`,
      "Give a prefix length from 0 to 32",
    );
  }
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join(".");
}

/** The prefix length of a dotted netmask (255.255.255.0 → 24); throws on a non-contiguous mask. */
export function netmaskToPrefix(netmask: string): number {
  const value = ipv4Bytes(netmask).readUInt32BE(0);
  const prefix = 32 - Math.log2((~value >>> 0) + 1);
  if (!Number.isInteger(prefix)) {
    throw new LinuxCallError(
      "invalid-argument",
      `Invalid IPv4 netmask: ${netmask} is not contiguous`,
      "Give a netmask such as 255.255.255.0",
    );
  }
  return prefix;
}

function ipv4Bytes(address: string): Buffer {
  const parts = address.split(".");
  const octets = parts.map(Number);
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part)) || octets.some((o) => o > 255)) {
    throw new LinuxCallError(
      "invalid-argument",
      `Invalid IPv4 address: ${JSON.stringify(address)}`,
      "Give a dotted IPv4 address such as 10.0.2.15",
    );
  }
  return Buffer.from(octets);
}

/** Runs `use` with an AF_INET datagram socket, the handle the interface ioctls act through. */
function withInetSocket<T>(use: (fd: number) => T): T {
  const fd = check(libc().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket", ["AF_INET", "SOCK_DGRAM"]);
  try {
    return use(fd);
  } finally {
    libc().close(fd);
  }
}

/**
 * Gives interface `name` the IPv4 `address/prefix` (SIOCSIFADDR then SIOCSIFNETMASK; the kernel adds
 * the subnet's route itself once the interface is up). Replaces the interface's primary IPv4
 * address, which is what a static config means.
 */
export function setInterfaceAddress(name: string, address: string, prefix: number): void {
  withInetSocket((fd) => {
    check(libc().ioctl(fd, SOCKIOS.SIOCSIFADDR, encodeIfreq(name, encodeSockaddrIn(address))), "ioctl", [
      "SIOCSIFADDR",
      name,
      address,
    ]);
    const mask = prefixToNetmask(prefix);
    check(libc().ioctl(fd, SOCKIOS.SIOCSIFNETMASK, encodeIfreq(name, encodeSockaddrIn(mask))), "ioctl", [
      "SIOCSIFNETMASK",
      name,
      mask,
    ]);
  });
}

/** Sets IFF_UP on interface `name` (SIOCGIFFLAGS, then SIOCSIFFLAGS with the other flags kept). */
export function setInterfaceUp(name: string): void {
  withInetSocket((fd) => {
    const request = encodeIfreq(name);
    check(libc().ioctl(fd, SOCKIOS.SIOCGIFFLAGS, request), "ioctl", ["SIOCGIFFLAGS", name]);
    const flags = request.readUInt16LE(IFNAMSIZ);
    if (flags & IFF_UP) return;
    request.writeUInt16LE(flags | IFF_UP, IFNAMSIZ);
    check(libc().ioctl(fd, SOCKIOS.SIOCSIFFLAGS, request), "ioctl", ["SIOCSIFFLAGS", name, "up"]);
  });
}

/** Options of {@link addRoute}. */
export interface AddRouteOptions {
  /** Succeed when the same route exists already (EEXIST), as a re-applied config expects. */
  ignoreExisting?: boolean;
}

/** Adds an IPv4 route (SIOCADDRT): a default route is `0.0.0.0/0` through the gateway. */
export function addRoute(route: Ipv4Route, options: AddRouteOptions = {}): void {
  withInetSocket((fd) => {
    const result = libc().ioctl(fd, SOCKIOS.SIOCADDRT, encodeRtentry(route));
    const EEXIST = 17;
    if (result === -1 && options.ignoreExisting && libc().errno() === EEXIST) return;
    check(result, "ioctl", ["SIOCADDRT", `${route.destination}/${route.prefix}`, route.gateway ?? "on-link"]);
  });
}
