/** Bounds of a {@link ShipQueue}. */
export interface ShipQueueOptions {
  /** Most lines held (default 10,000). */
  maxLines?: number;
  /** Most UTF-8 bytes held, counting each line's length (default 4 MiB). */
  maxBytes?: number;
}

/** Default bounds: a few minutes of a busy node's logs, small enough to never matter to PID 1's memory. */
export const DEFAULT_SHIP_QUEUE_LINES = 10_000;
/** See {@link DEFAULT_SHIP_QUEUE_LINES}. */
export const DEFAULT_SHIP_QUEUE_BYTES = 4 * 1024 * 1024;

/**
 * The lines a shipper has not sent yet, bounded by lines and bytes. Pushing never fails and never
 * waits: when a bound is passed the OLDEST lines go and are counted, because a collector that comes
 * back wants the recent past, and the logger (machined, PID 1) must never stall on the network.
 * A ring of slots (head index, no `Array.shift`) keeps push and shift O(1) at 100k lines a second.
 */
export class ShipQueue {
  readonly maxLines: number;
  readonly maxBytes: number;
  #slots: (string | undefined)[] = [];
  #sizes: number[] = [];
  #head = 0;
  #length = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(options: ShipQueueOptions = {}) {
    this.maxLines = Math.max(1, Math.floor(options.maxLines ?? DEFAULT_SHIP_QUEUE_LINES));
    this.maxBytes = Math.max(1, Math.floor(options.maxBytes ?? DEFAULT_SHIP_QUEUE_BYTES));
    this.#slots = new Array(this.maxLines);
    this.#sizes = new Array(this.maxLines).fill(0);
  }

  /** Lines held. */
  get length(): number {
    return this.#length;
  }

  /** UTF-8 bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Lines dropped since the last {@link takeDropped}. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Appends a line of `bytes` UTF-8 bytes, dropping the oldest lines until both bounds hold. */
  push(line: string, bytes: number): void {
    if (bytes > this.maxBytes) {
      // A line bigger than the whole budget cannot be held; it counts as dropped, like any other,
      // and does not evict the lines that fit.
      this.#dropped++;
      return;
    }
    while (this.#length > 0 && (this.#length >= this.maxLines || this.#bytes + bytes > this.maxBytes)) {
      this.shift();
      this.#dropped++;
    }
    const tail = (this.#head + this.#length) % this.maxLines;
    this.#slots[tail] = line;
    this.#sizes[tail] = bytes;
    this.#length++;
    this.#bytes += bytes;
  }

  /** The oldest line, without removing it. */
  peek(): string | undefined {
    return this.#length === 0 ? undefined : this.#slots[this.#head];
  }

  /** Removes and returns the oldest line. */
  shift(): string | undefined {
    if (this.#length === 0) return undefined;
    const line = this.#slots[this.#head];
    this.#bytes -= this.#sizes[this.#head] ?? 0;
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.maxLines;
    this.#length--;
    return line;
  }

  /** The drop count, reset to zero: the caller reports it (the marker line) exactly once. */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }
}
