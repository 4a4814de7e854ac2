import { closeSync, constants, openSync, readSync } from "node:fs";
import { type KmsgRecord, parseKmsgRecord } from "../../../pkg/linux/index.ts";

/** The kernel's log device: one record per read(2), from the oldest still in the ring buffer. */
export const KMSG_DEVICE = "/dev/kmsg";

/** How often the source looks for new records: the kernel logs little once booted. */
const DEFAULT_POLL_MS = 500;
/** Records read per poll at most, so a burst (boot: thousands) never holds the event loop long. */
const DEFAULT_BATCH = 512;
/** Larger than the kernel's longest record (PRINTK_MESSAGE_MAX plus the dictionary). */
const RECORD_BUFFER_BYTES = 16 * 1024;

/**
 * Reads records one at a time without ever blocking: a string is one record, `undefined` means
 * none is waiting now. The real one reads /dev/kmsg opened O_NONBLOCK; tests pass a fake.
 */
export interface KmsgReader {
  read(): string | undefined;
  close(): void;
}

/** Options of {@link KernelLogSource}. */
export interface KernelLogSourceOptions {
  /** Gets every record, oldest first. Must not throw (it runs on a timer). */
  onRecord: (record: KmsgRecord) => void;
  /** Told when the device cannot be opened or read; the source then stops. */
  onError?: (error: Error) => void;
  /** Opens the reader; default {@link openKmsg} of /dev/kmsg. */
  open?: () => KmsgReader;
  pollMs?: number;
  /** Records read per poll at most. */
  batch?: number;
}

/**
 * The kernel's messages as a stream of parsed records, for log shipping: from the beginning of the
 * ring buffer (a fresh open of /dev/kmsg starts at the oldest record kept, so a collector gets the
 * boot too), then every new record. It polls a non-blocking descriptor on a timer instead of
 * blocking a libuv thread in read(2), reads a bounded batch per poll, and never throws into its
 * caller; a record the kernel overwrote before it was read is skipped (EPIPE), and shows as a gap
 * in the shipped `seq`.
 */
export class KernelLogSource {
  readonly #options: KernelLogSourceOptions;
  #reader: KmsgReader | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: KernelLogSourceOptions) {
    this.#options = options;
  }

  /** Opens the device and starts reading; false (and `onError` told) when it cannot be opened. */
  start(): boolean {
    if (this.#closed || this.#reader) return this.#reader !== undefined;
    try {
      this.#reader = (this.#options.open ?? (() => openKmsg()))();
    } catch (error) {
      this.#fail(error);
      return false;
    }
    this.#poll();
    return true;
  }

  /** Stops reading and closes the device. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#reader?.close();
    this.#reader = undefined;
  }

  #poll(): void {
    const reader = this.#reader;
    if (this.#closed || !reader) return;
    const batch = this.#options.batch ?? DEFAULT_BATCH;
    let more = false;
    try {
      for (let i = 0; i < batch; i += 1) {
        const text = reader.read();
        if (text === undefined) break;
        const record = parseKmsgRecord(text);
        if (record) this.#options.onRecord(record);
        more = i === batch - 1;
      }
    } catch (error) {
      this.#fail(error);
      this.close();
      return;
    }
    // A full batch means the ring holds more: read on at the next turn rather than after a pause.
    this.#timer = more
      ? setTimeout(() => this.#poll(), 0)
      : setTimeout(() => this.#poll(), this.#options.pollMs ?? DEFAULT_POLL_MS);
    this.#timer.unref();
  }

  #fail(error: unknown): void {
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * /dev/kmsg (or `device`) as a {@link KmsgReader}: O_RDONLY | O_NONBLOCK, so `read` returns
 * undefined on EAGAIN; EPIPE (the next record was overwritten) moves on to the oldest one left.
 */
export function openKmsg(device = KMSG_DEVICE): KmsgReader {
  const fd = openSync(device, constants.O_RDONLY | constants.O_NONBLOCK);
  const buffer = Buffer.alloc(RECORD_BUFFER_BYTES);
  return {
    read() {
      for (;;) {
        try {
          const n = readSync(fd, buffer, 0, buffer.length, null);
          return n === 0 ? undefined : buffer.toString("utf8", 0, n);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EAGAIN") return undefined;
          if (code !== "EPIPE") throw error;
        }
      }
    },
    close: () => closeSync(fd),
  };
}
