import { SteleError } from "../../../machinery/errors.ts";
import type { LogEntry, LogStream } from "./log-entry.ts";
import {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_RING_BYTES,
  ENTRY_OVERHEAD_BYTES,
  MAX_RING_BYTES,
  MIN_MAX_LINE_BYTES,
  MIN_RING_BYTES,
} from "./log-limits.ts";
import { truncateLine } from "./truncate-line.ts";

/** Options of a {@link LogRing}. */
export interface LogRingOptions {
  /** Bytes the ring holds (text plus a fixed overhead per entry); 64 KiB … 64 MiB, default 1 MiB. */
  maxBytes?: number;
  /** Longest line kept, in UTF-8 bytes; longer ones are cut and marked. Default 64 KiB. */
  maxLineBytes?: number;
  /** The clock that stamps entries; tests pass a fixed one. */
  now?: () => Date;
}

/** Options of {@link LogRing.write}. */
export interface LogWriteOptions {
  /** When the line was received, if not now. */
  time?: Date;
  /** Bytes of this line already dropped upstream (see `LineSplitter`); the line is marked as cut. */
  cutBytes?: number;
}

/** Options of {@link LogRing.follow}. */
export interface FollowOptions {
  /** How many of the lines already held to yield first; default all of them. Ignored with `afterSeq`. */
  tailLines?: number;
  /**
   * Resume after this seq instead (a client that reconnects passes the last seq it saw); lines
   * evicted since are reported with a loss marker.
   */
  afterSeq?: number;
  /** Ends the iteration (quietly, as a disconnecting reader expects) when aborted. */
  signal?: AbortSignal;
}

/**
 * The in-memory log of one service: whole lines in a ring bounded by bytes, oldest evicted
 * first, each numbered by `seq`. Readers address lines by seq, never by position, which is what
 * lets `follow` promise no gap and no duplicate while writes go on, and lets a reader that fell
 * behind learn exactly how many lines it lost instead of silently skipping them.
 */
export class LogRing {
  readonly maxBytes: number;
  readonly maxLineBytes: number;
  readonly #now: () => Date;
  /** Entries in seq order from index `#head`; slots before it are evicted and compacted away lazily. */
  #entries: Array<LogEntry | undefined> = [];
  /** What each entry in `#entries` costs, at the same index. */
  #costs: number[] = [];
  #head = 0;
  #bytes = 0;
  /** Seq of the entry at `#head` (equals `#nextSeq` when the ring is empty). */
  #firstSeq = 1;
  #nextSeq = 1;
  #closed = false;
  /** Followers waiting for a write; woken all at once, then forgotten. */
  #waiters = new Set<() => void>();

  constructor(options: LogRingOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_RING_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < MIN_RING_BYTES || maxBytes > MAX_RING_BYTES) {
      throw new SteleError(
        "invalid-argument",
        `Invalid log ring size: ${maxBytes} bytes is outside ${MIN_RING_BYTES}..${MAX_RING_BYTES}`,
        "choose a ring size between 64 KiB and 64 MiB; 1 MiB is the default",
      );
    }
    const maxLineBytes = options.maxLineBytes ?? Math.min(DEFAULT_MAX_LINE_BYTES, maxBytes);
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < MIN_MAX_LINE_BYTES || maxLineBytes > maxBytes) {
      throw new SteleError(
        "invalid-argument",
        `Invalid log line cap: ${maxLineBytes} bytes is outside ${MIN_MAX_LINE_BYTES}..${maxBytes}`,
        "choose a line cap of at least 256 bytes and no larger than the ring; 64 KiB is the default",
      );
    }
    this.maxBytes = maxBytes;
    this.maxLineBytes = maxLineBytes;
    this.#now = options.now ?? (() => new Date());
  }

  /** Seq of the oldest line still held; `lastSeq + 1` when the ring is empty. */
  get firstSeq(): number {
    return this.#firstSeq;
  }

  /** Seq of the newest line written; 0 before the first. */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Number of lines held. */
  get size(): number {
    return this.#nextSeq - this.#firstSeq;
  }

  /** Bytes charged for the lines held (text plus {@link ENTRY_OVERHEAD_BYTES} each). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Appends one line (without its newline), cutting it to the line cap, and evicts the oldest
   * lines until the ring fits its size again; the newest line is always kept. Returns the entry
   * as stored, with its seq.
   */
  write(stream: LogStream, line: string, options: LogWriteOptions = {}): LogEntry {
    if (this.#closed) {
      throw new SteleError(
        "failed-precondition",
        "Cannot write to the log ring: it is closed",
        "stop the service's output before closing its log",
      );
    }
    const text = truncateLine(line, this.maxLineBytes, options);
    const entry: LogEntry = { seq: this.#nextSeq++, time: options.time ?? this.#now(), stream, line: text };
    const cost = Buffer.byteLength(text) + ENTRY_OVERHEAD_BYTES;
    this.#entries.push(entry);
    this.#costs.push(cost);
    this.#bytes += cost;
    while (this.#bytes > this.maxBytes && this.#nextSeq - this.#firstSeq > 1) this.#evictOldest();
    if (this.#waiters.size > 0) this.#wakeAll();
    return entry;
  }

  /** The last `n` lines held, oldest first (fewer if the ring holds fewer). */
  tail(n: number): LogEntry[] {
    return this.#slice(this.#tailStart(n), this.#nextSeq);
  }

  /**
   * Every line after `seq`, oldest first. If lines after `seq` were already evicted, the result
   * starts with a loss marker counting them, so a poller never mistakes a gap for silence.
   */
  since(seq: number): LogEntry[] {
    let next = afterSeq(seq);
    const out: LogEntry[] = [];
    if (next < this.#firstSeq) {
      out.push(this.#lossMarker(next));
      next = this.#firstSeq;
    }
    for (const entry of this.#slice(next, this.#nextSeq)) out.push(entry);
    return out;
  }

  /**
   * The last `tailLines` lines, then every line as it is written, until the signal aborts or the
   * ring is closed (after the lines held are delivered). The reader's position is a seq, looked up
   * afresh at every step, so concurrent writes can neither be skipped nor delivered twice; if the
   * writer laps a slow reader, the reader gets one loss marker counting the evicted lines and
   * continues from the oldest line still held.
   */
  follow(options: FollowOptions = {}): AsyncGenerator<LogEntry, void, undefined> {
    // The start is fixed here, not at the first `next()` (a generator's body runs only then):
    // lines written between the call and the first read belong to this reader.
    const start =
      options.afterSeq !== undefined
        ? afterSeq(options.afterSeq)
        : this.#tailStart(options.tailLines ?? Infinity);
    return this.#follow(start, options.signal);
  }

  async *#follow(start: number, signal: AbortSignal | undefined): AsyncGenerator<LogEntry, void, undefined> {
    let next = start;
    let wake: (() => void) | undefined;
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal?.aborted) {
        if (next < this.#firstSeq) {
          const marker = this.#lossMarker(next);
          next = this.#firstSeq;
          yield marker;
        } else if (next < this.#nextSeq) {
          const entry = this.#entries[this.#head + (next - this.#firstSeq)]!;
          next++;
          yield entry;
        } else if (this.#closed) {
          return;
        } else {
          await new Promise<void>((resolve) => {
            wake = resolve;
            this.#waiters.add(resolve);
          });
          wake = undefined;
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (wake) this.#waiters.delete(wake);
    }
  }

  /**
   * Refuses further writes and lets followers end once they have read what is held. Readers can
   * still call `tail` and `since`: the lines of a removed service stay readable until dropped.
   */
  close(): void {
    this.#closed = true;
    this.#wakeAll();
  }

  /** Seq of the first of the last `n` lines held. */
  #tailStart(n: number): number {
    if (Number.isNaN(n) || n < 0) {
      throw new SteleError(
        "invalid-argument",
        `Invalid number of log lines: ${n}`,
        "ask for zero or more lines (--tail 0 shows only new lines)",
      );
    }
    return this.#nextSeq - Math.min(Math.floor(n), this.size);
  }

  #evictOldest(): void {
    this.#bytes -= this.#costs[this.#head]!;
    this.#entries[this.#head] = undefined;
    this.#head++;
    this.#firstSeq++;
    // Compact once the dead prefix dominates: amortised O(1) per line, memory bounded by twice the ring.
    if (this.#head >= 1024 && this.#head * 2 >= this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#costs.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Entries with from <= seq < to, clamped to what is held. */
  #slice(from: number, to: number): LogEntry[] {
    const start = this.#head + Math.max(0, from - this.#firstSeq);
    const end = this.#head + Math.max(0, to - this.#firstSeq);
    return this.#entries.slice(start, end) as LogEntry[];
  }

  /** A marker standing in for the lines from `next` up to the oldest held; its seq is the last lost. */
  #lossMarker(next: number): LogEntry {
    const lost = this.#firstSeq - next;
    return {
      seq: this.#firstSeq - 1,
      time: this.#now(),
      stream: "machined",
      line: `[${lost} ${lost === 1 ? "line" : "lines"} lost: this reader fell behind the log buffer]`,
      lost,
    };
  }

  #wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/** The seq after `seq`, refusing what is not a seq (a reader's position must be exact). */
function afterSeq(seq: number): number {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new SteleError(
      "invalid-argument",
      `Invalid log sequence number: ${seq}`,
      "pass the seq of the last line seen, or 0 for the start of the log",
    );
  }
  return seq + 1;
}
