import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import type { KmsgRecord } from "../../../../pkg/linux/index.ts";
import { backoffDelay } from "../../../../runtime/index.ts";
import type { LogEntry } from "../log-entry.ts";
import { type LogEndpoint, parseLogEndpoint } from "./log-endpoint.ts";
import { ShipQueue, type ShipQueueOptions } from "./ship-queue.ts";
import {
  formatDroppedMarker,
  formatKernelLine,
  formatShippedLine,
  truncateShippedLine,
} from "./shipped-line.ts";

/** Largest UDP payload over IPv4 (64 KiB less the IP and UDP headers), newline included. */
export const MAX_DATAGRAM_BYTES = 65_507;

/** What a shipper tells machined's log; `error` messages are rate-limited by the shipper. */
export type ShipperReport = (level: "info" | "error", message: string) => void;

/** One `logging.destinations[]` entry of MachineConfig, as far as the shipper uses it. */
export interface LogDestination {
  readonly endpoint: string;
  /** PEM CA certificate(s): the only trust roots of a tls:// destination. */
  readonly ca?: string | undefined;
  readonly format?: string | undefined;
  readonly kernel?: boolean | undefined;
}

/** Counters of one destination, as the LogDestinationStatus resource shows them. */
export interface LogShipperStats {
  readonly endpoint: string;
  readonly connected: boolean;
  /** Lines waiting to be sent. */
  readonly queued: number;
  /** Lines handed to the connection since the shipper started. */
  readonly sent: number;
  /** Lines dropped (oldest first) because the queue was full, since the shipper started. */
  readonly dropped: number;
  /** Why the last connection attempt or connection failed; null once connected again. */
  readonly lastError: string | null;
  /**
   * For a destination with `kernel: true`, whether kernel messages are shipped to it and, when they
   * are not, why (the container platform's kernel log is the host's); null when it did not ask.
   */
  readonly kernel: string | null;
}

/** Options of a {@link LogShipper}. */
export interface LogShipperOptions {
  /** The node's hostname, the `node` field of every line. */
  node: string;
  queue?: ShipQueueOptions;
  /** Reconnect delays: `baseMs · 2^attempt` up to `capMs` (defaults 500 ms and 30 s). */
  backoff?: { baseMs?: number; capMs?: number };
  /** How long a connection attempt may take before it counts as failed (default 10 s). */
  connectTimeoutMs?: number;
  /** At most one error report per this interval (default 60 s); the rest are counted. */
  reportIntervalMs?: number;
  /** Told of failures and recoveries (machined logs them); must not throw. */
  onReport?: ShipperReport;
  /** Told whenever a counter or the connection state changed; must be cheap (it is throttled by the caller). */
  onChange?: () => void;
}

const DEFAULT_BACKOFF = { baseMs: 500, capMs: 30_000 };
/** A connection that lasted this long was working: its loss restarts the backoff at the base delay. */
const STABLE_CONNECTION_MS = 30_000;
/** Bytes joined into one socket write: few syscalls, without building huge strings. */
const WRITE_BATCH_BYTES = 256 * 1024;
/** Datagrams handed to the kernel and not yet confirmed, so dgram's own queue stays bounded too. */
const MAX_DATAGRAMS_IN_FLIGHT = 64;
/** How long `close` waits for queued lines to leave over a live connection. */
const CLOSE_FLUSH_MS = 1_000;
/** Certificate verification failures: the collector is not signed by the pinned CA. */
const UNTRUSTED_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * Ships one destination's log lines as JSON lines over TCP, UDP (one datagram per line) or TLS 1.3
 * with the destination's CA pinned as the only trust root. `offer` is synchronous and never waits:
 * lines go into a bounded queue that drops its oldest lines when the collector cannot keep up or is
 * away, and the next line sent is preceded by a marker saying how many were dropped. Reconnects use
 * exponential backoff capped at 30 s. Delivery is at most once: a line handed to a connection that
 * then breaks is not sent again (a collector de-duplicating by `node`/`service`/`seq` could accept
 * at-least-once, but a resend after every reset would double lines for the common collector).
 */
export class LogShipper {
  readonly endpoint: string;
  /** Whether the destination asked for the kernel's messages too (`kernel: true`). */
  readonly kernel: boolean;
  /** What {@link LogShipperStats.kernel} says; set by whoever feeds (or cannot feed) kernel messages. */
  kernelNote: string | null;
  /** The `node` field of lines offered from now on (the hostname can change without a reboot). */
  node: string;
  readonly #target: LogEndpoint;
  readonly #ca: string | undefined;
  readonly #options: LogShipperOptions;
  readonly #queue: ShipQueue;
  #stream: net.Socket | undefined;
  #datagram: dgram.Socket | undefined;
  #connected = false;
  #connectedAt = 0;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #waitingDrain = false;
  #inFlight = 0;
  #sent = 0;
  #droppedReported = 0;
  #lastError: string | null = null;
  #lastReportAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;
  #failing = false;
  #closed = false;

  /** Starts connecting at once; throws `invalid-config` for an endpoint that does not parse. */
  constructor(destination: LogDestination, options: LogShipperOptions) {
    this.endpoint = destination.endpoint;
    this.kernel = destination.kernel === true;
    this.kernelNote = this.kernel ? "waiting for kernel messages" : null;
    this.#target = parseLogEndpoint(destination.endpoint);
    this.#ca = destination.ca;
    this.node = options.node;
    this.#options = options;
    this.#queue = new ShipQueue(options.queue);
    this.#connect();
  }

  /** Queues one stored entry of `serviceId` for sending. Synchronous, never blocks, never throws. */
  offer(serviceId: string, entry: LogEntry): void {
    if (this.#closed) return;
    const line = formatShippedLine(serviceId, entry, { node: this.node });
    this.#queue.push(line, Buffer.byteLength(line) + 1);
    this.#schedulePump();
    this.#options.onChange?.();
  }

  /**
   * Queues one kernel message, as `offer` does a service line, if this destination asked for them.
   * `bootTimeMs` is when the kernel booted (wall clock), which dates the record's monotonic stamp.
   */
  offerKernel(record: KmsgRecord, options: { bootTimeMs: number }): void {
    if (this.#closed || !this.kernel) return;
    const line = formatKernelLine(record, { node: this.node, bootTimeMs: options.bootTimeMs });
    this.#queue.push(line, Buffer.byteLength(line) + 1);
    this.#schedulePump();
    this.#options.onChange?.();
  }

  /** The counters now. */
  stats(): LogShipperStats {
    return {
      endpoint: this.endpoint,
      connected: this.#connected,
      queued: this.#queue.length,
      sent: this.#sent,
      dropped: this.#droppedReported + this.#queue.dropped,
      lastError: this.#lastError,
      kernel: this.kernelNote,
    };
  }

  /**
   * Stops reconnecting and offering; over a live connection, sends what is queued (waiting at most
   * a second), then closes it. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const stream = this.#stream;
    if (stream) {
      if (this.#connected) this.#pump(true);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => stream.destroy(), CLOSE_FLUSH_MS);
        stream.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        if (stream.destroyed) resolve();
        else stream.end();
      });
    }
    const datagram = this.#datagram;
    if (datagram) {
      if (this.#connected) this.#pump(true);
      const deadline = Date.now() + CLOSE_FLUSH_MS;
      while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      try {
        datagram.close();
      } catch {
        // already closed after an error
      }
    }
    this.#connected = false;
  }

  #connect(): void {
    if (this.#closed) return;
    if (this.#target.transport === "udp") this.#connectDatagram();
    else this.#connectStream();
  }

  #connectStream(): void {
    const { transport, host, port } = this.#target;
    let socket: net.Socket;
    if (transport === "tls") {
      if (!this.#ca) {
        // No system roots, ever: a tls:// destination without its CA cannot be verified, and
        // retrying cannot change that (a new config replaces this shipper).
        this.#failed(`No CA given for ${this.endpoint}: set logging.destinations[].ca to the collector's CA`);
        return;
      }
      socket = tls.connect({
        host,
        port,
        ...(net.isIP(host) ? {} : { servername: host }),
        ca: this.#ca,
        minVersion: "TLSv1.3",
        rejectUnauthorized: true,
      });
    } else socket = net.connect({ host, port });
    this.#stream = socket;
    socket.setTimeout(this.#options.connectTimeoutMs ?? 10_000, () =>
      socket.destroy(new Error(`timed out after ${this.#options.connectTimeoutMs ?? 10_000} ms`)),
    );
    socket.once(transport === "tls" ? "secureConnect" : "connect", () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      this.#up();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const untrusted = error.code !== undefined && UNTRUSTED_CODES.has(error.code);
      const verb = this.#connected ? "Connection to" : "Cannot connect to";
      this.#failed(
        untrusted
          ? `TLS handshake with ${this.endpoint} failed: the collector's certificate is not signed by the pinned CA (${error.code}: ${error.message})`
          : `${verb} ${this.endpoint} failed: ${error.message}`,
      );
    });
    socket.resume(); // a collector that talks back is ignored, not buffered
    socket.once("close", () => {
      if (this.#stream !== socket) return;
      this.#stream = undefined;
      this.#down();
    });
  }

  #connectDatagram(): void {
    const { host, port } = this.#target;
    const socket = dgram.createSocket(net.isIP(host) === 6 ? "udp6" : "udp4");
    this.#datagram = socket;
    socket.on("error", (error) => {
      this.#failed(`Cannot send to ${this.endpoint}: ${error.message}`);
      try {
        socket.close();
      } catch {
        // not yet bound
      }
      if (this.#datagram === socket) {
        this.#datagram = undefined;
        this.#down();
      }
    });
    socket.connect(port, host, () => this.#up());
  }

  #up(): void {
    this.#connected = true;
    this.#connectedAt = Date.now();
    this.#lastError = null;
    if (this.#failing) this.#options.onReport?.("info", `Log destination ${this.endpoint} connected again`);
    this.#failing = false;
    this.#schedulePump();
    this.#options.onChange?.();
  }

  #down(): void {
    const wasUp = this.#connected;
    this.#connected = false;
    this.#waitingDrain = false;
    if (wasUp && Date.now() - this.#connectedAt >= STABLE_CONNECTION_MS) this.#attempt = 0;
    this.#options.onChange?.();
    if (this.#closed) return;
    const delay = backoffDelay(this.#attempt++, { ...DEFAULT_BACKOFF, ...this.#options.backoff });
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    this.#reconnectTimer.unref();
  }

  /** Records a failure and reports it, at most once per interval (the others are counted). */
  #failed(message: string): void {
    this.#lastError = message;
    this.#failing = true;
    this.#options.onChange?.();
    const now = Date.now();
    if (now - this.#lastReportAt < (this.#options.reportIntervalMs ?? 60_000)) {
      this.#suppressed++;
      return;
    }
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.#lastReportAt = now;
    const more = suppressed > 0 ? ` (${suppressed} similar messages suppressed)` : "";
    this.#options.onReport?.("error", `Log shipping: ${message}; lines are queued meanwhile${more}`);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || !this.#connected) return;
    this.#pumpScheduled = true;
    // One pump per turn of the event loop: offers made in one burst leave in one write.
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump(false);
    });
  }

  /** Sends queued lines while the connection takes them; `all` ignores backpressure (at close). */
  #pump(all: boolean): void {
    if (!this.#connected) return;
    const dropped = this.#queue.takeDropped();
    const marker =
      dropped > 0 ? formatDroppedMarker(dropped, { node: this.node, now: new Date() }) : undefined;
    this.#droppedReported += dropped;
    if (this.#stream) this.#pumpStream(this.#stream, marker, all);
    else if (this.#datagram) this.#pumpDatagram(this.#datagram, marker);
    this.#options.onChange?.();
  }

  #pumpStream(socket: net.Socket, marker: string | undefined, all: boolean): void {
    if (this.#waitingDrain && !all) {
      if (marker) socket.write(`${marker}\n`);
      return;
    }
    let batch = marker ? `${marker}\n` : "";
    let lines = 0;
    while (this.#queue.length > 0) {
      batch += `${this.#queue.shift()}\n`;
      lines++;
      if (batch.length >= WRITE_BATCH_BYTES || this.#queue.length === 0) {
        this.#sent += lines;
        lines = 0;
        const more = socket.write(batch);
        batch = "";
        if (!more && !all) {
          this.#waitingDrain = true;
          socket.once("drain", () => {
            this.#waitingDrain = false;
            this.#pump(false);
          });
          return;
        }
      }
    }
    if (batch) socket.write(batch);
  }

  #pumpDatagram(socket: dgram.Socket, marker: string | undefined): void {
    const send = (line: string) => {
      this.#inFlight++;
      socket.send(`${truncateShippedLine(line, MAX_DATAGRAM_BYTES - 1)}\n`, (error) => {
        this.#inFlight--;
        // A refused datagram (no listener yet) is lost like any UDP datagram; it is only reported.
        if (error) this.#failed(`Cannot send to ${this.endpoint}: ${error.message}`);
        else if (this.#queue.length > 0) this.#schedulePump();
      });
    };
    if (marker) send(marker);
    while (this.#queue.length > 0 && this.#inFlight < MAX_DATAGRAMS_IN_FLIGHT) {
      send(this.#queue.shift() as string);
      this.#sent++;
    }
  }
}
