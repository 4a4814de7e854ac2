/**
 * A fake world for the DHCP adapter's tests: a clock that moves only when told, sockets that record
 * what is sent, a server that answers like QEMU's slirp (10.0.2.15/24 from 10.0.2.2), and spies for
 * the system calls. Not imported by production code.
 */
import {
  type DhcpMessage,
  type DhcpMessageType,
  type DhcpOptions,
  decodeDhcpMessage,
  encodeDhcpMessage,
} from "../../../pkg/dhcp/index.ts";
import type { DhcpClock, DhcpHostCalls, DhcpSocket, OpenDhcpSocket } from "./dhcp-interface.ts";

/** A clock whose time is set by `advance`, firing due timers in time order. */
export class FakeClock implements DhcpClock {
  time = 0;
  #timers: Array<{ at: number; fire: () => void; id: number }> = [];
  #nextId = 0;

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fire: () => void): () => void {
    const id = this.#nextId++;
    this.#timers.push({ at: this.time + delayMs, fire, id });
    return () => {
      this.#timers = this.#timers.filter((timer) => timer.id !== id);
    };
  }

  /** The number of timers pending. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (next === undefined || next.at > end) break;
      this.#timers.shift();
      this.time = next.at;
      next.fire();
    }
    this.time = end;
  }
}

/** A datagram a client sent: where to, and the decoded message. */
export interface Sent {
  interface: string;
  to: string;
  message: DhcpMessage;
}

/** The server's behaviour: what it answers to a client's message (nothing: undefined). */
export type ServerPolicy = (
  message: DhcpMessage,
) => { type: DhcpMessageType; options?: DhcpOptions } | undefined;

/** The lease slirp gives: 10.0.2.15/24, router and server 10.0.2.2, DNS 10.0.2.3, one day. */
export const SLIRP_OPTIONS: DhcpOptions = {
  serverId: "10.0.2.2",
  leaseTime: 86_400,
  subnetMask: "255.255.255.0",
  routers: ["10.0.2.2"],
  dnsServers: ["10.0.2.3"],
};

/** OFFER to DISCOVER and ACK to REQUEST, with `options`: a server that always says yes. */
export const answerAll =
  (options: DhcpOptions = SLIRP_OPTIONS): ServerPolicy =>
  (message) =>
    message.options.messageType === "DISCOVER"
      ? { type: "OFFER", options }
      : message.options.messageType === "REQUEST"
        ? { type: "ACK", options }
        : undefined;

/**
 * The network: sockets opened through `openSocket` send to a server that answers according to
 * `policy` (changeable between steps), synchronously, as if the network took no time.
 */
export class FakeNetwork {
  readonly sent: Sent[] = [];
  policy: ServerPolicy = answerAll();
  /** Address offered to the client. */
  yiaddr = "10.0.2.15";
  readonly open = new Set<string>();
  readonly #receivers = new Map<string, (bytes: Uint8Array) => void>();

  readonly openSocket: OpenDhcpSocket = (name, onMessage) => {
    this.open.add(name);
    this.#receivers.set(name, onMessage);
    const socket: DhcpSocket = {
      send: (bytes, to) => {
        const message = decodeDhcpMessage(bytes);
        this.sent.push({ interface: name, to, message });
        const answer = this.policy(message);
        if (answer === undefined) return;
        const reply = encodeDhcpMessage({
          ...message,
          op: "reply",
          secs: 0,
          yiaddr: answer.type === "NAK" ? "0.0.0.0" : this.yiaddr,
          options: { ...(answer.options ?? SLIRP_OPTIONS), messageType: answer.type },
        });
        // Delivered after send returns, as a real datagram would be.
        queueMicrotask(() => this.#receivers.get(name)?.(reply));
      },
      close: () => {
        this.open.delete(name);
        this.#receivers.delete(name);
      },
    };
    return socket;
  };

  /** The messages sent, as `TYPE to`, e.g. `DISCOVER 255.255.255.255`, and forgets them. */
  take(): string[] {
    const lines = this.sent.map((s) => `${s.message.options.messageType} ${s.to}`);
    this.sent.length = 0;
    return lines;
  }
}

/** Spies for the system calls, recording each as a line (`address eth0 10.0.2.15/24`). */
export function spyHostCalls(): DhcpHostCalls & { writeResolvConf: (text: string) => void; log: string[] } {
  const log: string[] = [];
  return {
    log,
    up: (name) => log.push(`up ${name}`),
    address: (name, address, prefix) => log.push(`address ${name} ${address}/${prefix}`),
    removeAddress: (name) => log.push(`remove ${name}`),
    route: (route) => log.push(`route ${route.destination}/${route.prefix} via ${route.gateway}`),
    writeResolvConf: (text) => log.push(`resolv ${JSON.stringify(text)}`),
  };
}

/** Lets queued replies arrive (they come as microtasks). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
