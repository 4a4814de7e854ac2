import { join } from "node:path";
import { SteleError } from "../../../machinery/errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { LogFile, type LogFileOptions } from "./log-file.ts";
import { LogRing, type LogRingOptions } from "./log-ring.ts";
import { LogSink } from "./log-sink.ts";
import { redactSecrets } from "./redact-secrets.ts";

/** Options of a {@link LogManager}. */
export interface LogManagerOptions {
  /**
   * Directory of the log files, one `<service>.log` each (on a node `/var/log`). Without it logs
   * live in memory only, as in early boot before `/var` is mounted.
   */
  dir?: string;
  /** Size and line cap of every service's ring. */
  ring?: Pick<LogRingOptions, "maxBytes" | "maxLineBytes">;
  /** Rotation and limits of every service's file. */
  file?: Pick<LogFileOptions, "maxBytes" | "keep" | "maxPendingBytes" | "onError">;
  /**
   * Pass machined's own messages (`LogSink.log`) through `redactSecrets`. Off by default: the
   * rule is that machined never formats a secret into a message, and tests hold it to that; the
   * net is for builds that log more (debugging) and costs a few regexes per message. Service
   * output is never redacted: it is the service's own, rewriting it would corrupt legitimate
   * lines (hashes, IDs), and a pattern list would promise a safety it cannot give.
   */
  redactMachinedLog?: boolean;
  /**
   * Told of every entry stored for any service, after it is stored: how a foreground node mirrors
   * its logs to the console, and where log shipping hooks in. Must not throw or block.
   */
  onEntry?: (serviceId: string, entry: LogEntry) => void;
  /** The clock that stamps entries; tests pass a fixed one. */
  now?: () => Date;
}

/** A service id is a file name: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
const SERVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The logs of every service on the node: one ring (and one file, if a directory is given) per
 * service, created on first use. The supervisor writes through `sink`, the API reads through
 * `ring`; `close` flushes and fsyncs everything at shutdown.
 */
export class LogManager {
  readonly #options: LogManagerOptions;
  readonly #logs = new Map<string, { ring: LogRing; file: LogFile | undefined; sink: LogSink }>();
  #closing: Promise<void> | undefined;

  constructor(options: LogManagerOptions = {}) {
    // Constructing validates the options (no I/O happens before the first append): a bad config
    // fails here, at startup, not at the first line of the first service.
    new LogRing(options.ring);
    new LogFile(join(options.dir ?? ".", "validate.log"), options.file);
    this.#options = options;
  }

  /** The writer of a service's log, created (with its ring and file) on first call and the same after. */
  sink(serviceId: string): LogSink {
    const existing = this.#logs.get(serviceId);
    if (existing) return existing.sink;
    if (this.#closing) {
      throw new SteleError(
        "failed-precondition",
        `Cannot open the log of ${serviceId}: the log manager is closed`,
        "open service logs before shutdown begins",
      );
    }
    if (!SERVICE_ID.test(serviceId)) {
      throw new SteleError(
        "invalid-argument",
        `Invalid service id for a log: ${JSON.stringify(serviceId)}`,
        "use letters, digits, '.', '_' and '-', starting with a letter or digit (it names the log file)",
      );
    }
    const { dir, now, redactMachinedLog, onEntry } = this.#options;
    const ring = new LogRing({ ...this.#options.ring, now });
    const file =
      dir === undefined
        ? undefined
        : new LogFile(join(dir, `${serviceId}.log`), { ...this.#options.file, now });
    const sink = new LogSink(serviceId, {
      ring,
      file,
      redact: redactMachinedLog ? redactSecrets : undefined,
      observe: onEntry ? (entry) => onEntry(serviceId, entry) : undefined,
    });
    this.#logs.set(serviceId, { ring, file, sink });
    return sink;
  }

  /** The ring of a service that has logged, for `tail`, `since` and `follow`. */
  ring(serviceId: string): LogRing {
    const log = this.#logs.get(serviceId);
    if (!log) {
      throw new SteleError(
        "not-found",
        `No log for service: ${serviceId}`,
        `services with logs: ${this.services().join(", ") || "none yet"}`,
      );
    }
    return log.ring;
  }

  /** Ids of the services that have a log, sorted. */
  services(): string[] {
    return [...this.#logs.keys()].sort();
  }

  /**
   * Ends every follower (after what it has not read yet), writes what is queued, fsyncs and
   * closes every file. Idempotent. Rejects with the first file that could not be synced, after
   * trying them all.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const { ring, sink } of this.#logs.values()) {
        sink.end();
        ring.close();
      }
      const results = await Promise.allSettled([...this.#logs.values()].map(({ file }) => file?.close()));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    })();
    return this.#closing;
  }
}
