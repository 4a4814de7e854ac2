/** A complete line from {@link LineSplitter}, with the bytes it lost to the line cap. */
export interface SplitLine {
  /** The line without its `\n` (nor a `\r` before it). */
  line: string;
  /** UTF-8 bytes dropped because the line grew past the cap before its newline came. */
  cutBytes: number;
}

/**
 * Turns the chunks a process writes to a pipe into whole lines. A pipe delivers bytes in
 * arbitrary pieces, so a line (or a UTF-8 character) may arrive in several; the decoder and the
 * partial line carry over between chunks. A line without a newline grows only up to the cap,
 * what comes after is counted, not kept: a service printing forever without a newline must not
 * exhaust PID 1's memory.
 */
export class LineSplitter {
  readonly #maxChars: number;
  readonly #decoder = new TextDecoder("utf-8");
  #partial = "";
  #cut = 0;
  #heldCR = false;

  /** `maxLineBytes` is the ring's line cap; the partial line is held to as many UTF-16 units. */
  constructor(maxLineBytes: number) {
    this.#maxChars = maxLineBytes;
  }

  /** Feeds a chunk; returns the lines it completed, in order. */
  push(chunk: string | Uint8Array): SplitLine[] {
    let text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    // A `\r` ending a chunk may be half of a CRLF: hold it back until the next chunk tells.
    if (this.#heldCR) {
      this.#heldCR = false;
      if (text[0] !== "\n") text = "\r" + text;
    }
    if (text.endsWith("\r")) {
      this.#heldCR = true;
      text = text.slice(0, -1);
    }
    const lines: SplitLine[] = [];
    let from = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", from)) {
      const end = newline > from && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.#append(text.slice(from, end));
      lines.push({ line: this.#partial, cutBytes: this.#cut });
      this.#partial = "";
      this.#cut = 0;
      from = newline + 1;
    }
    if (from < text.length) this.#append(text.slice(from));
    return lines;
  }

  /** Ends the input (the process exited): returns the unterminated last line, if any. */
  end(): SplitLine[] {
    // A held `\r` ended the output: it ends the line as CRLF would, so it is dropped too.
    this.#append(this.#decoder.decode());
    this.#heldCR = false;
    if (this.#partial === "" && this.#cut === 0) return [];
    const last = { line: this.#partial, cutBytes: this.#cut };
    this.#partial = "";
    this.#cut = 0;
    return [last];
  }

  #append(piece: string): void {
    if (this.#cut > 0) {
      this.#cut += Buffer.byteLength(piece);
      return;
    }
    const joined = this.#partial + piece;
    if (joined.length <= this.#maxChars) {
      this.#partial = joined;
      return;
    }
    let keep = this.#maxChars;
    // Do not split a surrogate pair: a lone half would be counted and decoded wrongly.
    const last = joined.charCodeAt(keep - 1);
    if (last >= 0xd800 && last <= 0xdbff) keep--;
    this.#partial = joined.slice(0, keep);
    this.#cut = Buffer.byteLength(joined.slice(keep));
  }
}
