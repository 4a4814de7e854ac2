import { LineSplitter } from "./line-splitter.ts";
import type { LogEntry } from "./log-entry.ts";
import type { LogFile } from "./log-file.ts";
import type { LogRing } from "./log-ring.ts";

/** A service's output stream, as a {@link LogSink} receives it. */
export type OutputStream = "stdout" | "stderr";

/** What a {@link LogSink} writes to. */
export interface LogSinkTargets {
  ring: LogRing;
  /** Absent while logs are kept in memory only. */
  file?: LogFile;
  /** Applied to machined's own messages (`log`) before they are stored; see `redactSecrets`. */
  redact?: (message: string) => string;
  /** Told of every stored entry (a console mirror, later log shipping); must not throw or block. */
  observe?: ((entry: LogEntry) => void) | undefined;
}

/**
 * The writer for one service's log, handed to the supervisor: raw pipe chunks of the service's
 * stdout and stderr go in (split into lines per stream, so interleaved writes never mix halves
 * of lines), and machined's own messages about the service; each line lands in the ring and,
 * with the same seq, in the file.
 */
export class LogSink {
  readonly serviceId: string;
  readonly #targets: LogSinkTargets;
  readonly #splitters: Record<OutputStream, LineSplitter>;

  constructor(serviceId: string, targets: LogSinkTargets) {
    this.serviceId = serviceId;
    this.#targets = targets;
    this.#splitters = {
      stdout: new LineSplitter(targets.ring.maxLineBytes),
      stderr: new LineSplitter(targets.ring.maxLineBytes),
    };
  }

  /** Feeds a chunk read from the service's stdout or stderr pipe; complete lines are stored at once. */
  write(stream: OutputStream, chunk: string | Uint8Array): void {
    for (const { line, cutBytes } of this.#splitters[stream].push(chunk)) this.#store(stream, line, cutBytes);
  }

  /**
   * The process closed `stream` (or both): stores an unterminated last line. The sink stays
   * usable, since a restarted process writes to the same log.
   */
  end(stream?: OutputStream): void {
    for (const name of stream ? [stream] : (["stdout", "stderr"] as const)) {
      for (const { line, cutBytes } of this.#splitters[name].end()) this.#store(name, line, cutBytes);
    }
  }

  /**
   * Stores one message of machined about this service (started, exited, unhealthy) as one entry,
   * newlines and all: a structured record is not split. Redacted first if the manager was asked to.
   */
  log(message: string): LogEntry {
    const { redact } = this.#targets;
    return this.#store("machined", redact ? redact(message) : message, 0);
  }

  #store(stream: LogEntry["stream"], line: string, cutBytes: number): LogEntry {
    const entry = this.#targets.ring.write(stream, line, cutBytes > 0 ? { cutBytes } : {});
    this.#targets.file?.append(entry);
    this.#targets.observe?.(entry);
    return entry;
  }
}
