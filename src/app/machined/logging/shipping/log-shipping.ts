import type { KmsgRecord } from "../../../../pkg/linux/index.ts";
import type { Logger, ResourceStore } from "../../../../runtime/index.ts";
import { KernelLogSource, type KmsgReader } from "../kernel-log-source.ts";
import type { LogEntry } from "../log-entry.ts";
import { LogDestinationStatus } from "./log-destination-status.ts";
import {
  type LogDestination,
  LogShipper,
  type LogShipperOptions,
  type LogShipperStats,
} from "./log-shipper.ts";

/** The log id of machined's own messages, whose shipping-failure lines are never shipped. */
const MACHINED_LOG_ID = "machined";

/** Entries kept from before the first `apply` (machined's early boot), oldest dropped first. */
export const DEFAULT_BOOT_BACKLOG_LINES = 2_000;

/** The owner of the LogDestinationStatus resources. */
const OWNER = "machined.LogShipping";

/** Options of a {@link LogShipping}. */
export interface LogShippingOptions {
  /** Where LogDestinationStatus resources are written (the type is registered here). */
  store?: ResourceStore;
  /** machined's logger: shipping failures (rate-limited) and recoveries go there, never to a collector. */
  logger?: Logger;
  /** Passed to every shipper (tests shorten the backoff and shrink the queue). */
  shipper?: Pick<LogShipperOptions, "queue" | "backoff" | "connectTimeoutMs" | "reportIntervalMs">;
  /** Least time between two writes of the status resources (default 1 s). */
  statusIntervalMs?: number;
  /** Entries held until the first `apply` (default {@link DEFAULT_BOOT_BACKLOG_LINES}); 0 keeps none. */
  bootBacklogLines?: number;
  /**
   * Where kernel messages come from, for destinations with `kernel: true`: on `metal` the node's own
   * /dev/kmsg (`open` replaces it in tests); on `container` none, since /dev/kmsg there is the
   * host's kernel log, which is not the node's to read or ship. Absent: as `container`.
   */
  kernel?: { platform: "metal" | "container"; open?: () => KmsgReader; pollMs?: number };
}

/** What a kernel destination's status says on a platform whose kernel log is not the node's. */
export const KERNEL_NOT_SHIPPED_ON_CONTAINER =
  "not shipped: on the container platform /dev/kmsg is the host's kernel log, which the node does not read";
/** What a kernel destination's status says while kernel messages flow. */
export const KERNEL_SHIPPED = "shipped from /dev/kmsg";

/**
 * The log shippers of a node, one per `logging.destinations[]` entry: `offer` (from the
 * LogManager's `onEntry`) hands each stored line to every shipper, `apply` replaces the set when
 * the config changes, and the counters are published as LogDestinationStatus resources at most
 * once a second. A shipper's own failure messages are logged by machined but never offered back
 * to the shippers: a collector that is down would otherwise receive (later) a line per failure
 * to reach it, and a flapping one would feed a loop.
 *
 * The destinations come from the config, which machined loads after it has started logging: the
 * lines before the first `apply` (how the boot went, the part a collector most needs when a node
 * fails to come up) are held, bounded, and handed to the destinations of that first apply.
 */
export class LogShipping {
  readonly #options: LogShippingOptions;
  readonly #shippers = new Map<string, { key: string; shipper: LogShipper }>();
  readonly #published = new Set<string>();
  #reporting = false;
  #statusTimer: NodeJS.Timeout | undefined;
  #statusDirty = false;
  #publishing: Promise<void> = Promise.resolve();
  #closed = false;
  /** Entries before the first apply; undefined afterwards. */
  #backlog: { serviceId: string; entry: LogEntry }[] | undefined = [];
  #kernelSource: KernelLogSource | undefined;
  /** Why kernel messages cannot be read (set once opening /dev/kmsg failed), for the status. */
  #kernelFailure: string | undefined;
  /** The wall-clock time of boot, which dates kernel records (stamped in µs since boot). */
  readonly #bootTimeMs = Date.now() - Number(process.hrtime.bigint() / 1_000_000n);

  constructor(options: LogShippingOptions = {}) {
    this.#options = options;
    options.store?.registerType(LogDestinationStatus);
  }

  /** Hands one stored entry to every destination. Synchronous and cheap; never throws. */
  offer(serviceId: string, entry: LogEntry): void {
    // A line machined logs while reporting a shipping failure: logged, not shipped (see above).
    if (this.#reporting && serviceId === MACHINED_LOG_ID) return;
    if (this.#backlog) {
      this.#backlog.push({ serviceId, entry });
      const max = this.#options.bootBacklogLines ?? DEFAULT_BOOT_BACKLOG_LINES;
      if (this.#backlog.length > max) this.#backlog.splice(0, this.#backlog.length - max);
      return;
    }
    for (const { shipper } of this.#shippers.values()) shipper.offer(serviceId, entry);
  }

  /** Hands one kernel message to every destination that asked for them. Never throws. */
  offerKernel(record: KmsgRecord): void {
    if (this.#closed) return;
    for (const { shipper } of this.#shippers.values())
      shipper.offerKernel(record, { bootTimeMs: this.#bootTimeMs });
  }

  /**
   * Makes the destinations exactly `destinations`: a destination whose endpoint, CA, format and
   * kernel flag are unchanged keeps its connection, queue and counters; the others are closed and
   * new ones started. Resolves once removed shippers are closed. An endpoint given twice is
   * shipped to once; an endpoint that does not parse is logged and skipped (the config validator
   * refuses both before they get here).
   */
  async apply(destinations: readonly LogDestination[], options: { hostname: string }): Promise<void> {
    if (this.#closed) return;
    const wanted = new Map<string, { destination: LogDestination; key: string }>();
    for (const destination of destinations) {
      if (wanted.has(destination.endpoint)) continue;
      const { endpoint, ca, format, kernel } = destination;
      wanted.set(endpoint, { destination, key: JSON.stringify([endpoint, ca, format, kernel]) });
    }
    const closing: Promise<void>[] = [];
    for (const [endpoint, current] of this.#shippers) {
      if (wanted.get(endpoint)?.key === current.key) continue;
      this.#shippers.delete(endpoint);
      closing.push(current.shipper.close());
    }
    for (const [endpoint, { destination, key }] of wanted) {
      const current = this.#shippers.get(endpoint);
      if (current) {
        current.shipper.node = options.hostname;
        continue;
      }
      try {
        const shipper = new LogShipper(destination, {
          ...this.#options.shipper,
          node: options.hostname,
          onReport: (level, message) => this.#report(level, message, endpoint),
          onChange: () => this.#changed(),
        });
        this.#shippers.set(endpoint, { key, shipper });
      } catch (error) {
        this.#report("error", `Log destination skipped: ${(error as Error).message}`, endpoint);
      }
    }
    const backlog = this.#backlog;
    this.#backlog = undefined;
    for (const { serviceId, entry } of backlog ?? []) this.offer(serviceId, entry);
    this.#feedKernel();
    this.#changed();
    await Promise.all(closing);
  }

  /** The counters of every destination, in config order. */
  stats(): LogShipperStats[] {
    return [...this.#shippers.values()].map(({ shipper }) => shipper.stats());
  }

  /** Closes every shipper (sending what is queued over live connections, briefly). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#backlog = undefined;
    this.#kernelSource?.close();
    clearTimeout(this.#statusTimer);
    const shippers = [...this.#shippers.values()];
    this.#shippers.clear();
    await Promise.all(shippers.map(({ shipper }) => shipper.close()));
    await this.#publishing;
  }

  /**
   * Starts reading the kernel's log the first time a destination asks for it (from the oldest
   * record the ring still holds, so the boot is shipped too), and says in each kernel destination's
   * status whether it gets them. The reader then stays open: closing it and opening it again for a
   * later destination would ship the whole ring a second time to the others.
   */
  #feedKernel(): void {
    const kernelShippers = [...this.#shippers.values()].map(({ shipper }) => shipper).filter((s) => s.kernel);
    if (kernelShippers.length === 0) return;
    const kernel = this.#options.kernel;
    if (kernel?.platform !== "metal") {
      for (const shipper of kernelShippers) shipper.kernelNote = KERNEL_NOT_SHIPPED_ON_CONTAINER;
      return;
    }
    if (!this.#kernelSource && this.#kernelFailure === undefined) {
      this.#kernelSource = new KernelLogSource({
        onRecord: (record) => this.offerKernel(record),
        onError: (error) => {
          this.#kernelFailure = `not shipped: cannot read /dev/kmsg: ${error.message}`;
          for (const { shipper } of this.#shippers.values())
            if (shipper.kernel) shipper.kernelNote = this.#kernelFailure;
          this.#report("error", `Kernel messages not shipped: ${error.message}`, "/dev/kmsg");
          this.#changed();
        },
        ...(kernel.open ? { open: kernel.open } : {}),
        ...(kernel.pollMs === undefined ? {} : { pollMs: kernel.pollMs }),
      });
      if (!this.#kernelSource.start()) this.#kernelSource = undefined;
    }
    for (const shipper of kernelShippers) shipper.kernelNote = this.#kernelFailure ?? KERNEL_SHIPPED;
  }

  #report(level: "info" | "error", message: string, endpoint: string): void {
    const logger = this.#options.logger;
    if (!logger) return;
    this.#reporting = true;
    try {
      logger[level]({ destination: endpoint }, message);
    } catch {
      // machined's log is closing: nothing to tell
    } finally {
      this.#reporting = false;
    }
  }

  /** Publishes the status now, or once the interval since the last publication has passed. */
  #changed(): void {
    if (this.#closed || !this.#options.store) return;
    if (this.#statusTimer) {
      this.#statusDirty = true;
      return;
    }
    this.#publish();
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      if (this.#statusDirty) {
        this.#statusDirty = false;
        this.#changed();
      }
    }, this.#options.statusIntervalMs ?? 1_000);
    this.#statusTimer.unref();
  }

  #publish(): void {
    const store = this.#options.store;
    if (!store) return;
    const stats = this.stats();
    // Chained, so that two publications never interleave their writes.
    this.#publishing = this.#publishing.then(async () => {
      try {
        for (const spec of stats) {
          await store.modify(LogDestinationStatus, spec.endpoint, {
            owner: OWNER,
            transform: () => ({ ...spec }),
          });
          this.#published.add(spec.endpoint);
        }
        const live = new Set(stats.map((s) => s.endpoint));
        for (const id of this.#published) {
          if (live.has(id)) continue;
          if (store.get(LogDestinationStatus, id)) store.destroy(LogDestinationStatus, id, { owner: OWNER });
          this.#published.delete(id);
        }
      } catch {
        // The store closes at shutdown, before a last publication may run: nothing to show then.
      }
    });
  }
}
