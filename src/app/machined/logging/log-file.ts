import { type FileHandle, mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { SteleError } from "../../../machinery/errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { DEFAULT_FILE_KEEP, DEFAULT_FILE_MAX_BYTES } from "./log-limits.ts";
import { formatLogLine } from "./log-line-json.ts";

/** Options of a {@link LogFile}. */
export interface LogFileOptions {
  /** The file is rotated before a line would take it past this size; default 10 MiB, at least 4 KiB. */
  maxBytes?: number;
  /** Rotated files kept (`.1` newest … `.N` oldest); default 3, 1..100. */
  keep?: number;
  /**
   * Bytes of lines waiting for the disk beyond which new lines are dropped (and counted in a loss
   * line once the disk catches up); default 4 MiB. A stalled disk must not grow PID 1's memory.
   */
  maxPendingBytes?: number;
  /** File mode at creation; default 0o640 (logs may name hosts and paths, not for every user). */
  mode?: number;
  /** Told about write failures (the lines are counted as lost and retried after a second); default a process warning. */
  onError?: (error: SteleError) => void;
  /** The clock for loss lines; tests pass a fixed one. */
  now?: () => Date;
}

/**
 * Bytes handed to one write call at most: a flood is written in few large writes (measured: 1 MiB
 * keeps up where 256 KiB fell behind), while the batch stays small next to the ring sizes.
 */
const BATCH_BYTES = 1024 * 1024;

/** How long after a failed write the file is left alone, so a full disk is not retried (and reported) per line. */
const RETRY_AFTER_MS = 1000;

/**
 * An append-only JSON-lines log file with size-based rotation (`x.log` → `x.log.1` … `x.log.N`).
 * Appends are queued and written by one background loop, in order, in batches, so a service
 * printing fast costs one syscall per batch and the event loop of PID 1 never blocks on the disk.
 * Lines are never split: rotation happens between lines. It fsyncs on rotation and on close,
 * not per line: losing the last second of logs on power loss is the accepted price of not
 * making every service's output wait for the disk.
 */
export class LogFile {
  readonly path: string;
  readonly maxBytes: number;
  readonly keep: number;
  readonly #maxPendingBytes: number;
  readonly #mode: number;
  readonly #onError: (error: SteleError) => void;
  readonly #now: () => Date;
  /** JSON lines waiting for the disk, each with its newline, and their UTF-8 sizes at the same index. */
  #queue: string[] = [];
  #sizes: number[] = [];
  #queueBytes = 0;
  #handle: FileHandle | undefined;
  #size = 0;
  #draining: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Lines dropped and not yet noted in the file by a loss line. */
  #lost = 0;
  #lostTotal = 0;
  #lostLastSeq = 0;
  #retryAt = 0;

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.maxBytes = checkInteger("log file size", options.maxBytes ?? DEFAULT_FILE_MAX_BYTES, 4096, 2 ** 40);
    this.keep = checkInteger("number of rotated log files", options.keep ?? DEFAULT_FILE_KEEP, 1, 100);
    this.#maxPendingBytes = options.maxPendingBytes ?? 4 * 1024 * 1024;
    this.#mode = options.mode ?? 0o640;
    this.#onError = options.onError ?? ((error) => process.emitWarning(error.message, "SteleLogFile"));
    this.#now = options.now ?? (() => new Date());
  }

  /** Lines dropped so far because the disk failed or fell too far behind (each also noted in the file). */
  get lostLines(): number {
    return this.#lostTotal;
  }

  /**
   * Queues an entry; returns at once. Never throws for I/O: a log that cannot be written must
   * not take the service (or machined) down with it; the failure goes to `onError`.
   */
  append(entry: LogEntry): void {
    if (this.#closing) {
      throw new SteleError(
        "failed-precondition",
        `Cannot append to log file: ${this.path} is closed`,
        "stop writing a service's log before closing the log manager",
      );
    }
    const text = `${formatLogLine(entry)}\n`;
    const size = Buffer.byteLength(text);
    if (
      this.#queueBytes + size > this.#maxPendingBytes ||
      (this.#retryAt > 0 && Date.now() < this.#retryAt)
    ) {
      this.#lost++;
      this.#lostTotal++;
      this.#lostLastSeq = entry.seq;
      return;
    }
    // The loss line goes where the gap is: after the lines queued before it, before this one.
    if (this.#lost > 0) this.#enqueueLossLine();
    this.#enqueue(text, size);
  }

  /** Resolves once every queued line is written to the file (not fsynced: see `close`). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Writes what is queued, fsyncs and closes the file. Idempotent; appends after it throw. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#lost > 0) this.#enqueueLossLine();
      await this.flush();
      const handle = this.#handle;
      this.#handle = undefined;
      if (!handle) return;
      try {
        await handle.sync();
      } catch (error) {
        throw ioError(`Cannot sync log file: ${this.path}`, error);
      } finally {
        await handle.close();
      }
    })();
    return this.#closing;
  }

  /** The one writer: takes batches off the queue until it is empty, rotating between lines. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        if (!this.#handle) await this.#open();
        const room = Math.min(BATCH_BYTES, this.maxBytes - this.#size);
        let take = 0;
        let bytes = 0;
        while (take < this.#queue.length && bytes + this.#sizes[take]! <= room) bytes += this.#sizes[take++]!;
        if (take === 0) {
          if (this.#size > 0) {
            await this.#rotate();
            continue;
          }
          // A single line larger than the whole file limit is still written, alone in its file.
          bytes = this.#sizes[take++]!;
        }
        // Taken off the queue only once written: a failure then counts them as lost.
        await writeAll(this.#handle!, Buffer.from(this.#queue.slice(0, take).join(""), "utf8"));
        this.#queue.splice(0, take);
        this.#sizes.splice(0, take);
        this.#queueBytes -= bytes;
        this.#size += bytes;
      }
    } catch (error) {
      // A queued loss line is dropped too: its count carries over, already in the total.
      const noted = this.#queue.reduce((sum, line) => sum + lossCount(line), 0);
      const fresh = this.#queue.filter((line) => lossCount(line) === 0).length;
      this.#lost += fresh + noted;
      this.#lostTotal += fresh;
      this.#lostLastSeq = Math.max(this.#lostLastSeq, lastSeqOf(this.#queue));
      this.#queue = [];
      this.#sizes = [];
      this.#queueBytes = 0;
      this.#retryAt = Date.now() + RETRY_AFTER_MS;
      const handle = this.#handle;
      this.#handle = undefined;
      await handle?.close().catch(() => {});
      this.#onError(ioError(`Cannot write log file: ${this.path}`, error));
    } finally {
      this.#draining = undefined;
    }
  }

  async #open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, "a", this.#mode);
    try {
      this.#size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#handle = handle;
  }

  /** `.N-1` → `.N` (the oldest is overwritten), …, current → `.1`; fsynced before and after the renames. */
  async #rotate(): Promise<void> {
    const handle = this.#handle!;
    this.#handle = undefined;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    for (let i = this.keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
    await rename(this.path, `${this.path}.1`);
    await syncDirectory(dirname(this.path));
    await this.#open();
  }

  #enqueue(text: string, size: number): void {
    this.#queue.push(text);
    this.#sizes.push(size);
    this.#queueBytes += size;
    this.#draining ??= this.#drain();
  }

  /** Queues a line saying how many lines were dropped (seq: the last of them), and forgets the count. */
  #enqueueLossLine(): void {
    const lost = this.#lost;
    const line = `[${lost} ${lost === 1 ? "line" : "lines"} lost: the log file could not keep up or could not be written]`;
    const text = `${formatLogLine({ seq: this.#lostLastSeq, time: this.#now(), stream: "machined", line, lost })}\n`;
    this.#lost = 0;
    this.#enqueue(text, Buffer.byteLength(text));
  }
}

function checkInteger(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SteleError(
      "invalid-argument",
      `Invalid ${what}: ${value} is outside ${min}..${max}`,
      `choose a whole number between ${min} and ${max}`,
    );
  }
  return value;
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The count a queued loss line carries; 0 for an ordinary line. */
function lossCount(line: string): number {
  return Number(/,"lost":(\d+)\}\n$/.exec(line)?.[1] ?? 0);
}

/** The seq of the last queued JSON line, for the loss line (0 if none parse). */
function lastSeqOf(queue: readonly string[]): number {
  const match = /"seq":(\d+)/.exec(queue.at(-1) ?? "");
  return match ? Number(match[1]) : 0;
}

function ioError(message: string, cause: unknown): SteleError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SteleError(
    "io",
    `${message}: ${detail}`,
    "check that the log directory exists, is writable and the disk has space; recent lines stay readable from memory",
    { cause },
  );
}
