import { DhcpClient, type DhcpEvent, type DhcpLease, type DhcpStep } from "../../../pkg/dhcp/index.ts";
import type { Ipv4Route } from "../../../pkg/linux/index.ts";

/** The datagram socket of one interface's DHCP client (UDP 68, bound to the interface). */
export interface DhcpSocket {
  /** Sends to UDP port 67 of `address` (255.255.255.255 for a broadcast). */
  send(bytes: Uint8Array, address: string): void;
  close(): void;
}

/** Opens interface `name`'s socket; `onMessage` receives each datagram from a server. */
export type OpenDhcpSocket = (name: string, onMessage: (bytes: Uint8Array) => void) => DhcpSocket;

/**
 * Time for DHCP clients: `now` in milliseconds on a clock that only goes forward, and one-shot
 * timers. Tests pass a fake one to walk a lease through renewal and expiry in microseconds.
 */
export interface DhcpClock {
  now(): number;
  /** Calls `fire` after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, fire: () => void): () => void;
}

/** The system calls that apply a lease to an interface; tests pass spies. */
export interface DhcpHostCalls {
  up(name: string): void;
  address(name: string, address: string, prefix: number): void;
  removeAddress(name: string): void;
  route(route: Ipv4Route): void;
}

/** Options of {@link DhcpInterface}. */
export interface DhcpInterfaceOptions {
  name: string;
  /** The interface's MAC address (`52:54:00:12:34:56`). */
  hardwareAddress: string;
  /** Sent to the server (option 12) so its DNS can name the node. */
  hostname?: string;
  openSocket: OpenDhcpSocket;
  clock: DhcpClock;
  calls: DhcpHostCalls;
  /** Called with the lease in force after each change (undefined: the address was dropped). */
  onLease: (name: string, lease: DhcpLease | undefined) => void;
  /** A line for the console, already prefixed by the interface name. */
  log: (line: string) => void;
  /** For the client's transaction ids and jitter (Math.random by default). */
  random?: () => number;
}

/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days): a longer wait is taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * DHCPv4 on one interface: the socket and timer around a {@link DhcpClient}, which decides
 * everything (retransmissions and their backoff, renewal at T1 unicast to the server, rebinding at
 * T2, expiry, restart after a NAK); this class only carries its packets and applies its events.
 * A lease sets the address and mask, then a default route through the first router; losing it
 * removes the address (the kernel drops the routes through it). A failing system call is logged
 * and the client goes on: the next renewal tries again, and the node stays on its other interfaces.
 */
export class DhcpInterface {
  readonly name: string;
  readonly #options: DhcpInterfaceOptions;
  readonly #client: DhcpClient;
  #socket: DhcpSocket | undefined;
  #cancelTimer: (() => void) | undefined;
  #stopped = false;

  constructor(options: DhcpInterfaceOptions) {
    this.name = options.name;
    this.#options = options;
    this.#client = new DhcpClient({
      hardwareAddress: options.hardwareAddress,
      // Replies are broadcast while the interface has no address: a UDP socket cannot receive a
      // reply unicast to an address the interface does not have yet.
      broadcastFlag: true,
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  }

  /** The lease in force, if any. */
  get lease(): DhcpLease | undefined {
    return this.#client.lease;
  }

  /** The RFC 2131 state of the client (`selecting`, `bound`, `renewing`…), for status and logs. */
  get state(): string {
    return this.#client.state;
  }

  /** Brings the interface up, opens its socket and broadcasts the first DISCOVER. */
  start(): void {
    const { name, calls } = this.#options;
    this.#try("up", () => calls.up(name));
    this.#socket = this.#options.openSocket(name, (bytes) => {
      if (!this.#stopped) this.#apply(this.#client.receive(bytes, this.#options.clock.now()));
    });
    this.#apply(this.#client.start(this.#options.clock.now()));
  }

  /**
   * Stops the client and closes its socket. The address stays (no RELEASE): a node restarting
   * machined, or rebooting, asks for the same address again and keeps its connections meanwhile.
   */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#socket?.close();
    this.#socket = undefined;
  }

  #apply(step: DhcpStep): void {
    for (const event of step.events) this.#onEvent(event);
    for (const transmission of step.send) {
      const to = transmission.to === "broadcast" ? "255.255.255.255" : transmission.to.unicast;
      this.#try(`send DHCP${transmission.message.options.messageType} to ${to}`, () =>
        this.#socket?.send(transmission.bytes, to),
      );
    }
    this.#schedule(step.wakeAt);
  }

  #schedule(wakeAt: number | undefined): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (wakeAt === undefined || this.#stopped) return;
    const { clock } = this.#options;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, wakeAt - clock.now()));
    this.#cancelTimer = clock.setTimer(delay, () => {
      this.#cancelTimer = undefined;
      // A wake before the deadline (a long wait taken in steps) returns the same deadline.
      if (!this.#stopped) this.#apply(this.#client.wake(clock.now()));
    });
  }

  #onEvent(event: DhcpEvent): void {
    const { name, calls, log, onLease } = this.#options;
    switch (event.type) {
      case "bound": {
        const { lease } = event;
        this.#try(`${lease.address}/${lease.prefixLength}`, () =>
          calls.address(name, lease.address, lease.prefixLength),
        );
        this.#addDefaultRoute(lease);
        log(`DHCP lease ${describeLease(lease)}`);
        onLease(name, lease);
        break;
      }
      case "renewed":
        // A renewal may bring new routers; the route through the old one goes when the address does.
        this.#addDefaultRoute(event.lease);
        log(`DHCP lease renewed: ${describeLease(event.lease)}`);
        onLease(name, event.lease);
        break;
      case "lost":
        this.#try(`remove ${event.lease.address}`, () => calls.removeAddress(name));
        log(`DHCP lease of ${event.lease.address} lost (${event.reason}): address removed`);
        onLease(name, undefined);
        break;
      case "nak":
        log(
          `DHCPNAK from ${event.serverId ?? "a server"}${event.message ? `: ${event.message}` : ""}: starting over`,
        );
        break;
      case "ignored":
        // Other clients' replies are broadcast too on a shared segment: not worth a console line.
        break;
    }
  }

  #addDefaultRoute(lease: DhcpLease): void {
    const router = lease.routers[0];
    if (router === undefined) return;
    this.#try(`default route via ${router}`, () =>
      this.#options.calls.route({ destination: "0.0.0.0", prefix: 0, gateway: router }),
    );
  }

  #try(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#options.log(`error: ${what}: ${(error as Error).message}`);
    }
  }
}

/** `10.0.2.15/24 via 10.0.2.2 from 10.0.2.2, 86400 s`: what a person checks on the console. */
export function describeLease(lease: DhcpLease): string {
  const via = lease.routers[0] === undefined ? "" : ` via ${lease.routers[0]}`;
  const seconds = lease.leaseSeconds === 0xffffffff ? "infinite" : `${lease.leaseSeconds} s`;
  return `${lease.address}/${lease.prefixLength}${via} from ${lease.serverId}, ${seconds}`;
}
