/**
 * The longest line kept, in UTF-8 bytes, before the rest of it is dropped. The same 64 KiB the
 * log store keeps: a service printing megabytes without a newline must not grow PID 1's memory.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** Options of {@link LineSplitter}. */
export interface LineSplitterOptions {
  /** Bytes of one line kept; the rest is dropped and counted. Default {@link DEFAULT_MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

/**
 * Cuts a byte stream into lines as it arrives. Works on bytes, not decoded text: a newline byte
 * never occurs inside a multi-byte UTF-8 character, so chunks split anywhere are safe, and the cap
 * is exact. A trailing `\r` is dropped (CRLF output). `onLine` gets each line and how many bytes
 * were cut from it, so the log store can mark the cut.
 */
export class LineSplitter {
  readonly #onLine: (line: string, cutBytes: number) => void;
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #kept = 0;
  #cut = 0;
  /** Whether bytes of an unfinished line have arrived, even if all of them were cut. */
  #open = false;

  constructor(onLine: (line: string, cutBytes: number) => void, options: LineSplitterOptions = {}) {
    this.#onLine = onLine;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Feeds a chunk; calls `onLine` for every line it completes. */
  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (end > start) this.#append(chunk.subarray(start, end));
      if (newline === -1) return;
      this.#emit();
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (this.#open) this.#emit();
  }

  #append(piece: Buffer): void {
    this.#open = true;
    if (this.#cut > 0) {
      this.#cut += piece.length;
      return;
    }
    if (this.#kept + piece.length <= this.#maxLineBytes) {
      this.#parts.push(piece);
      this.#kept += piece.length;
      return;
    }
    // The line passes the cap with this piece: cut it once, on the whole line, so that a character
    // whose bytes straddle two chunks is judged whole. Step back over UTF-8 continuation bytes
    // (10xxxxxx) so that no character is split.
    const whole = Buffer.concat([...this.#parts, piece]);
    let keep = this.#maxLineBytes;
    while (keep > 0 && ((whole[keep] ?? 0) & 0xc0) === 0x80) keep--;
    this.#parts = [whole.subarray(0, keep)];
    this.#kept = keep;
    this.#cut = whole.length - keep;
  }

  #emit(): void {
    let line = Buffer.concat(this.#parts, this.#kept).toString("utf8");
    if (this.#cut === 0 && line.endsWith("\r")) line = line.slice(0, -1);
    const cut = this.#cut;
    this.#parts = [];
    this.#kept = 0;
    this.#cut = 0;
    this.#open = false;
    this.#onLine(line, cut);
  }
}
