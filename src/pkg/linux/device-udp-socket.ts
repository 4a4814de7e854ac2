import { createSocket, type Socket } from "node:dgram";
import { libc } from "./libc.ts";
import { encodeSockaddrIn } from "./net-ioctl.ts";
import { check, LinuxCallError } from "./syscall-error.ts";

/** x86_64 system call numbers: going through syscall(2) needs no new binding in libc.ts. */
const SYS_BIND = 49;
const SYS_SETSOCKOPT = 54;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BROADCAST = 6;
const SO_BINDTODEVICE = 25;
/** IFNAMSIZ: an interface name fits in 15 bytes plus its NUL. */
const IFNAMSIZ = 16;

/** Options of {@link openDeviceUdpSocket}. */
export interface DeviceUdpSocketOptions {
  /** The local UDP port to bind (on 0.0.0.0). */
  port: number;
}

/**
 * A UDP socket bound to `0.0.0.0:<port>` and to network interface `device` (SO_BINDTODEVICE), with
 * SO_BROADCAST and SO_REUSEADDR, returned as a Node `dgram` socket (Node adopts the descriptor:
 * `bind({ fd })`, and closing the socket closes it).
 *
 * This is how a DHCP client talks before its interface has an address, without a shell, a raw
 * packet socket or a temporary route. Node's dgram cannot set SO_BINDTODEVICE, so the socket is made
 * here. Bound to the device, a datagram to 255.255.255.255 leaves through that interface even with
 * no route at all (the kernel routes a limited broadcast to the socket's device), and only datagrams
 * that arrived on it are read, so one client per interface can share port 68. The alternative, a
 * temporary route, would send every interface's broadcasts through one device and leave a route
 * behind if machined died in between. Needs CAP_NET_RAW (SO_BINDTODEVICE) and, for ports below
 * 1024, CAP_NET_BIND_SERVICE: machined is root.
 */
export function openDeviceUdpSocket(device: string, options: DeviceUdpSocketOptions): Socket {
  const name = Buffer.from(device, "utf8");
  if (name.length === 0 || name.length >= IFNAMSIZ || device.includes("\0")) {
    throw new LinuxCallError(
      "invalid-argument",
      `Invalid interface name: ${JSON.stringify(device)}`,
      "An interface name has 1 to 15 bytes, as `ip link` shows it",
    );
  }
  const fd = check(libc().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket", ["AF_INET", "SOCK_DGRAM"]);
  try {
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    for (const [option, label] of [
      [SO_REUSEADDR, "SO_REUSEADDR"],
      [SO_BROADCAST, "SO_BROADCAST"],
    ] as const) {
      setsockopt(fd, option, one, [label]);
    }
    const nulTerminated = Buffer.concat([name, Buffer.alloc(1)]);
    setsockopt(fd, SO_BINDTODEVICE, nulTerminated, ["SO_BINDTODEVICE", device]);
    const address = encodeSockaddrIn("0.0.0.0");
    address.writeUInt16BE(options.port, 2);
    check(libc().syscall(SYS_BIND, "int", fd, "void *", address, "unsigned int", address.length), "bind", [
      fd,
      `0.0.0.0:${options.port}`,
      device,
    ]);
  } catch (error) {
    libc().close(fd);
    throw error;
  }
  const socket = createSocket({ type: "udp4" });
  // libuv makes the descriptor non-blocking and polls it; bind() with an fd binds nothing more.
  socket.bind({ fd });
  return socket;
}

function setsockopt(fd: number, option: number, value: Buffer, args: unknown[]): void {
  check(
    libc().syscall(
      SYS_SETSOCKOPT,
      "int",
      fd,
      "int",
      SOL_SOCKET,
      "int",
      option,
      "void *",
      value,
      "unsigned int",
      value.length,
    ),
    "setsockopt",
    [fd, "SOL_SOCKET", ...args],
  );
}
