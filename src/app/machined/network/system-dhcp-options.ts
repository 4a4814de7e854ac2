import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from "../../../pkg/dhcp/index.ts";
import {
  addRoute,
  openDeviceUdpSocket,
  removeInterfaceAddress,
  setInterfaceAddress,
  setInterfaceUp,
} from "../../../pkg/linux/index.ts";
import type { DhcpClock, OpenDhcpSocket } from "./dhcp-interface.ts";
import type { DhcpNetworkOptions } from "./dhcp-network.ts";
import { readHardwareAddress } from "./ethernet-links.ts";

/**
 * The clock of DHCP on a real node: `performance.now()`, which only goes forward. Not Date.now():
 * the wall clock jumps when time sync corrects it (by years on a machine without an RTC), and a
 * lease counted on it would expire at once or never. Timers are unref'd: stopping the clients, not
 * a pending renewal, decides when a process may end.
 */
export const monotonicClock: DhcpClock = {
  now: () => performance.now(),
  setTimer(delayMs, fire) {
    const timer = setTimeout(fire, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Sockets bound to their interface (SO_BINDTODEVICE on UDP 68; see openDeviceUdpSocket for why). */
export const deviceDhcpSocket: OpenDhcpSocket = (name, onMessage) => {
  const socket = openDeviceUdpSocket(name, { port: DHCP_CLIENT_PORT });
  socket.on("message", (bytes) => onMessage(bytes));
  // A send that fails (the link went down) is logged by the caller when synchronous; an
  // asynchronous failure arrives here, and the client's retransmission covers it.
  socket.on("error", () => {});
  return {
    send: (bytes, address) => socket.send(bytes, DHCP_SERVER_PORT, address),
    close: () => socket.close(),
  };
};

/**
 * The options of a node's {@link DhcpNetwork}: real sockets, the monotonic clock, ioctls through
 * src/pkg/linux (a re-added default route being no error) and resolv.conf at `resolvConf`, where
 * the static network writes it too.
 */
export function systemDhcpOptions(resolvConf: string, log: (line: string) => void): DhcpNetworkOptions {
  return {
    openSocket: deviceDhcpSocket,
    clock: monotonicClock,
    calls: {
      up: setInterfaceUp,
      address: setInterfaceAddress,
      removeAddress: removeInterfaceAddress,
      route: (route) => addRoute(route, { ignoreExisting: true }),
      writeResolvConf: (text) => writeFileSync(resolvConf, text, { mode: 0o644 }),
    },
    hardwareAddress: (name) => readHardwareAddress(name),
    log,
  };
}
