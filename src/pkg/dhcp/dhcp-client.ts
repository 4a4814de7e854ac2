import { decodeDhcpMessage } from "./decode-dhcp-message.ts";
import { DhcpFormatError } from "./dhcp-format-error.ts";
import { type DhcpLease, leaseFromAck } from "./dhcp-lease.ts";
import { DHCP_OPTION, type DhcpMessage, type DhcpMessageType, type DhcpOptions } from "./dhcp-message.ts";
import { encodeDhcpMessage, parseHardwareAddress } from "./encode-dhcp-message.ts";

/** The client states of RFC 2131 §4.4 (figure 5) that this client uses, plus `stopped` after release. */
export type DhcpClientState =
  | "init"
  | "selecting"
  | "requesting"
  | "bound"
  | "renewing"
  | "rebinding"
  | "stopped";

/** A message the adapter must send: to the broadcast address, or unicast to a server (UDP 68 → 67). */
export interface DhcpTransmission {
  to: "broadcast" | { unicast: string };
  message: DhcpMessage;
  bytes: Uint8Array;
}

/**
 * What happened, for the adapter to act on: `bound` (configure the address, routes, DNS), `renewed`
 * (same address, new times and possibly new routes or DNS), `lost` (remove the address: expired,
 * refused by a NAK, declined, released), `nak` (a server refused a request), `ignored` (a packet
 * dropped, with why: useful in logs when a network misbehaves).
 */
export type DhcpEvent =
  | { type: "bound"; lease: DhcpLease }
  | { type: "renewed"; lease: DhcpLease }
  | { type: "lost"; lease: DhcpLease; reason: "expired" | "nak" | "declined" | "released" | "restarted" }
  | { type: "nak"; serverId: string | undefined; message: string | undefined }
  | { type: "ignored"; reason: string };

/**
 * The result of every input: packets to send now, events, and when to call `wake` next (absolute,
 * in the caller's clock; undefined: no timer). The adapter keeps one timer and replaces it each time.
 */
export interface DhcpStep {
  send: DhcpTransmission[];
  events: DhcpEvent[];
  wakeAt: number | undefined;
}

/** Options of a DhcpClient. */
export interface DhcpClientOptions {
  /** The interface's MAC address, `52:54:00:12:34:56`. */
  hardwareAddress: string;
  /** Sent as option 12, so the server (and its DNS) can name the node. */
  hostname?: string;
  /** Option 61; by default type 1 (Ethernet) and the MAC address, as most clients send. */
  clientId?: Uint8Array;
  /**
   * Ask servers to broadcast their replies until the client has an address (true by default): a
   * plain UDP socket on an interface without an address cannot receive unicast to the offered one.
   */
  broadcastFlag?: boolean;
  /** Option 57 (1500 by default: the largest reply that fits an Ethernet frame). */
  maxMessageSize?: number;
  /** A uniform [0, 1) source for transaction ids and retransmission jitter; Math.random by default. */
  random?: () => number;
}

/** Options a client asks servers for (option 55): mask, routers, DNS, host and domain names, lease times. */
export const DEFAULT_PARAMETER_REQUEST_LIST: readonly number[] = [
  DHCP_OPTION.subnetMask,
  DHCP_OPTION.routers,
  DHCP_OPTION.dnsServers,
  DHCP_OPTION.hostname,
  DHCP_OPTION.domainName,
  DHCP_OPTION.leaseTime,
  DHCP_OPTION.renewalTime,
  DHCP_OPTION.rebindingTime,
];

/** Longest retransmission delay (RFC 2131 §4.1: doubled up to 64 s). */
const MAX_BACKOFF_MS = 64_000;
/** REQUESTs sent in REQUESTING before starting over (4, 8, 16, 32 s: about a minute, as the RFC's retransmission does). */
const MAX_REQUESTS = 4;
/** Shortest wait between REQUESTs in RENEWING and REBINDING (RFC 2131 §4.4.5). */
const MIN_RENEW_RETRY_MS = 60_000;
/** Wait after a DECLINE before starting over (RFC 2131 §3.1.5: at least ten seconds). */
const DECLINE_WAIT_MS = 10_000;

/**
 * A DHCPv4 client (RFC 2131 §4.4) as a pure state machine: it opens no socket and reads no clock.
 * The caller drives it with `start`, `receive` (each datagram from port 67), `wake` (when the time
 * it asked for comes) and `decline`/`release`, passing the current time each time; each call
 * returns the packets to send, the events to act on and the next wake-up time. So every path —
 * lost offers, NAKs, renewal at T1, rebinding at T2, expiry — is tested in microseconds with a
 * fake clock, and the socket adapter stays a few lines.
 *
 * Retransmissions follow RFC 2131 §4.1: 4 s, doubled each time up to 64 s, each ±1 s of jitter.
 * DISCOVER is sent at once on start (the RFC's optional 1–10 s initial delay would only slow a
 * node's boot). Offers are taken first come; no ARP probe is made here: an adapter that finds the
 * address in use calls `decline`.
 */
export class DhcpClient {
  readonly #options: Required<Omit<DhcpClientOptions, "hostname">> & { hostname: string | undefined };
  #state: DhcpClientState = "init";
  #lease: DhcpLease | undefined;
  #xid = 0;
  /** When the current exchange began (for `secs`). */
  #exchangeStart = 0;
  /** When the first REQUEST of the current exchange was sent: a lease's times count from it. */
  #requestSentAt = 0;
  /** The `secs` of the last DISCOVER, which the REQUEST that follows repeats (RFC 2131 §4.4.1). */
  #discoverSecs = 0;
  #attempts = 0;
  #deadline: number | undefined;
  #offer: { address: string; serverId: string } | undefined;
  #naks = 0;

  constructor(options: DhcpClientOptions) {
    const mac = parseHardwareAddress(options.hardwareAddress);
    this.#options = {
      hardwareAddress: [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":"),
      hostname: options.hostname,
      clientId: options.clientId ?? Uint8Array.from([1, ...mac]),
      broadcastFlag: options.broadcastFlag ?? true,
      maxMessageSize: options.maxMessageSize ?? 1500,
      random: options.random ?? Math.random,
    };
  }

  /** The RFC 2131 state the client is in. */
  get state(): DhcpClientState {
    return this.#state;
  }

  /** The lease in force (bound, renewing, rebinding), if any. */
  get lease(): DhcpLease | undefined {
    return this.#lease;
  }

  /** Starts (or restarts) acquiring an address: broadcasts a DISCOVER. */
  start(now: number): DhcpStep {
    const step = this.#step();
    this.#naks = 0;
    this.#drop(step, "restarted");
    this.#discover(now, step);
    return this.#finish(step);
  }

  /** Handles a datagram received on port 68: an OFFER, ACK or NAK for this client moves it on; anything else is ignored. */
  receive(packet: Uint8Array, now: number): DhcpStep {
    const step = this.#step();
    let message: DhcpMessage;
    try {
      message = decodeDhcpMessage(packet);
    } catch (error) {
      if (!(error instanceof DhcpFormatError)) throw error;
      step.events.push({ type: "ignored", reason: error.message });
      return this.#finish(step);
    }
    const reason = this.#mismatch(message);
    if (reason !== undefined) {
      step.events.push({ type: "ignored", reason });
      return this.#finish(step);
    }
    const type = message.options.messageType;
    if (type === "OFFER" && this.#state === "selecting") this.#onOffer(message, now, step);
    else if (type === "ACK" && this.#awaitingAck()) this.#onAck(message, now, step);
    else if (type === "NAK" && this.#awaitingAck()) this.#onNak(message, now, step);
    else
      step.events.push({
        type: "ignored",
        reason: `DHCP${type ?? " message without a type"} in state ${this.#state}`,
      });
    return this.#finish(step);
  }

  /** Called when the time returned as `wakeAt` has come: retransmits, renews, rebinds or expires. */
  wake(now: number): DhcpStep {
    const step = this.#step();
    if (this.#deadline === undefined || now < this.#deadline) return this.#finish(step);
    const lease = this.#lease;
    switch (this.#state) {
      case "init":
        this.#discover(now, step);
        break;
      case "selecting":
        this.#attempts++;
        this.#send(step, "DISCOVER", now, "broadcast");
        this.#deadline = now + this.#backoff(this.#attempts);
        break;
      case "requesting":
        this.#attempts++;
        if (this.#attempts >= MAX_REQUESTS) {
          this.#discover(now, step);
          break;
        }
        this.#send(step, "REQUEST", now, "broadcast");
        this.#deadline = now + this.#backoff(this.#attempts);
        break;
      case "bound":
        // Woken past T2 (a suspended host), the client goes straight to rebinding.
        this.#state = now >= lease!.rebindAt ? "rebinding" : "renewing";
        this.#newExchange(now);
        this.#renewStep(now, step);
        break;
      case "renewing":
        if (now >= lease!.rebindAt) {
          this.#state = "rebinding";
          this.#newExchange(now);
        }
        this.#renewStep(now, step);
        break;
      case "rebinding":
        this.#renewStep(now, step);
        break;
      case "stopped":
        this.#deadline = undefined;
    }
    return this.#finish(step);
  }

  /**
   * Declines the address just bound (the adapter found it in use, by ARP): tells the server with a
   * DECLINE, drops the lease and starts over after ten seconds.
   */
  decline(now: number): DhcpStep {
    const step = this.#step();
    const lease = this.#lease;
    if (lease === undefined) return this.#finish(step);
    this.#newExchange(now);
    this.#send(step, "DECLINE", now, "broadcast", { requestedIp: lease.address, serverId: lease.serverId });
    this.#drop(step, "declined");
    this.#state = "init";
    this.#deadline = now + DECLINE_WAIT_MS;
    return this.#finish(step);
  }

  /** Gives the lease back (a RELEASE to its server) and stops: no timer until `start`. */
  release(now: number): DhcpStep {
    const step = this.#step();
    const lease = this.#lease;
    if (lease !== undefined) {
      this.#newExchange(now);
      this.#send(step, "RELEASE", now, { unicast: lease.serverId }, { serverId: lease.serverId });
      this.#drop(step, "released");
    }
    this.#state = "stopped";
    this.#deadline = undefined;
    return this.#finish(step);
  }

  #discover(now: number, step: DhcpStep): void {
    this.#state = "selecting";
    this.#offer = undefined;
    this.#newExchange(now);
    this.#send(step, "DISCOVER", now, "broadcast");
    this.#deadline = now + this.#backoff(0);
  }

  #onOffer(offer: DhcpMessage, now: number, step: DhcpStep): void {
    const serverId = offer.options.serverId;
    if (offer.yiaddr === "0.0.0.0" || serverId === undefined) {
      step.events.push({ type: "ignored", reason: "DHCPOFFER without an address or a server identifier" });
      return;
    }
    this.#state = "requesting";
    this.#offer = { address: offer.yiaddr, serverId };
    this.#attempts = 0;
    // Same xid: the REQUEST continues the DISCOVER's exchange (RFC 2131 §4.4.1).
    this.#requestSentAt = now;
    this.#send(step, "REQUEST", now, "broadcast");
    this.#deadline = now + this.#backoff(0);
  }

  #onAck(ack: DhcpMessage, now: number, step: DhcpStep): void {
    const lease = leaseFromAck(ack, this.#requestSentAt);
    if (typeof lease === "string" || lease.expiresAt <= now) {
      // A lease counts from the REQUEST: a 0 s lease (or one shorter than the server took) is over already.
      step.events.push({
        type: "ignored",
        reason: typeof lease === "string" ? lease : "DHCPACK with a lease that has already expired",
      });
      return;
    }
    const previous = this.#lease;
    if (previous !== undefined && previous.address !== lease.address) this.#drop(step, "expired");
    this.#lease = lease;
    this.#naks = 0;
    step.events.push(
      previous !== undefined && previous.address === lease.address
        ? { type: "renewed", lease }
        : { type: "bound", lease },
    );
    this.#state = "bound";
    this.#deadline = lease.renewAt;
  }

  #onNak(nak: DhcpMessage, now: number, step: DhcpStep): void {
    step.events.push({ type: "nak", serverId: nak.options.serverId, message: nak.options.message });
    this.#drop(step, "nak");
    // RFC 2131 §3.1.5: start over. At once the first time; repeated NAKs back off so that a
    // confused server is not answered in a tight loop.
    this.#naks++;
    if (this.#naks === 1) {
      this.#discover(now, step);
      return;
    }
    this.#state = "init";
    this.#deadline = now + this.#backoff(this.#naks - 2);
  }

  /** RENEWING (unicast to the lease's server) or REBINDING (broadcast) a REQUEST, and the next retry or T2/expiry. */
  #renewStep(now: number, step: DhcpStep): void {
    const lease = this.#lease!;
    if (now >= lease.expiresAt) {
      this.#drop(step, "expired");
      this.#discover(now, step);
      return;
    }
    const renewing = this.#state === "renewing";
    this.#send(step, "REQUEST", now, renewing ? { unicast: lease.serverId } : "broadcast");
    // RFC 2131 §4.4.5: retry after half the time left until T2 (renewing) or expiry (rebinding), at least 60 s.
    const limit = renewing ? lease.rebindAt : lease.expiresAt;
    this.#deadline = Math.min(limit, now + Math.max(MIN_RENEW_RETRY_MS, (limit - now) / 2));
  }

  #drop(step: DhcpStep, reason: Extract<DhcpEvent, { type: "lost" }>["reason"]): void {
    if (this.#lease !== undefined) step.events.push({ type: "lost", lease: this.#lease, reason });
    this.#lease = undefined;
  }

  #awaitingAck(): boolean {
    return this.#state === "requesting" || this.#state === "renewing" || this.#state === "rebinding";
  }

  /** Why a reply is not for this exchange, or undefined when it is. */
  #mismatch(message: DhcpMessage): string | undefined {
    if (message.op !== "reply") return "a BOOTREQUEST, not a reply";
    if (message.xid !== this.#xid)
      return `xid 0x${message.xid.toString(16)} is not this client's 0x${this.#xid.toString(16)}`;
    if (message.chaddr !== this.#options.hardwareAddress)
      return `chaddr ${message.chaddr} is not this client's`;
    const serverId = message.options.serverId;
    // In REQUESTING the chosen server answers; in RENEWING the lease's; in REBINDING any server may.
    const expected =
      this.#state === "requesting"
        ? this.#offer?.serverId
        : this.#state === "renewing"
          ? this.#lease?.serverId
          : undefined;
    if (
      expected !== undefined &&
      serverId !== undefined &&
      serverId !== expected &&
      message.options.messageType !== "OFFER"
    ) {
      return `server ${serverId} is not the one asked (${expected})`;
    }
    return undefined;
  }

  #newExchange(now: number): void {
    this.#xid = Math.floor(this.#options.random() * 0x1_0000_0000) >>> 0;
    this.#exchangeStart = now;
    this.#requestSentAt = now;
    this.#attempts = 0;
  }

  /** 4 s doubled per attempt up to 64 s, ±1 s uniform jitter (RFC 2131 §4.1). */
  #backoff(attempt: number): number {
    return Math.min(4000 * 2 ** attempt, MAX_BACKOFF_MS) + (this.#options.random() * 2 - 1) * 1000;
  }

  #send(
    step: DhcpStep,
    type: DhcpMessageType,
    now: number,
    to: DhcpTransmission["to"],
    extra: DhcpOptions = {},
  ): void {
    const acquiring = this.#state === "selecting" || this.#state === "requesting";
    const options: DhcpOptions = { messageType: type, clientId: this.#options.clientId, ...extra };
    if (type === "DISCOVER" || type === "REQUEST") {
      options.maxMessageSize = this.#options.maxMessageSize;
      options.parameterRequestList = [...DEFAULT_PARAMETER_REQUEST_LIST];
      if (this.#options.hostname !== undefined) options.hostname = this.#options.hostname;
    }
    if (type === "REQUEST" && this.#state === "requesting") {
      options.requestedIp = this.#offer!.address;
      options.serverId = this.#offer!.serverId;
    }
    let secs = Math.min(0xffff, Math.max(0, Math.floor((now - this.#exchangeStart) / 1000)));
    if (type === "DISCOVER") this.#discoverSecs = secs;
    if (type === "REQUEST" && this.#state === "requesting") secs = this.#discoverSecs;
    const message: DhcpMessage = {
      op: "request",
      htype: 1,
      hops: 0,
      xid: this.#xid,
      secs,
      broadcast: acquiring && this.#options.broadcastFlag,
      // RENEWING, REBINDING and RELEASE carry the address in use (RFC 2131 table 5); DECLINE does not.
      ciaddr: !acquiring && type !== "DECLINE" && this.#lease !== undefined ? this.#lease.address : "0.0.0.0",
      yiaddr: "0.0.0.0",
      siaddr: "0.0.0.0",
      giaddr: "0.0.0.0",
      chaddr: this.#options.hardwareAddress,
      sname: "",
      file: "",
      options,
    };
    step.send.push({ to, message, bytes: encodeDhcpMessage(message) });
  }

  #step(): DhcpStep {
    return { send: [], events: [], wakeAt: undefined };
  }

  #finish(step: DhcpStep): DhcpStep {
    // An infinite lease never needs waking.
    step.wakeAt =
      this.#deadline !== undefined && Number.isFinite(this.#deadline) ? this.#deadline : undefined;
    return step;
  }
}
