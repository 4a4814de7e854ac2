/**
 * Prefixes every line of a byte stream with its node (`node: line`), keeping a partial last line
 * until the rest arrives, so lines of many nodes interleave whole and each says where it came from.
 * `flush()` writes what is left when the stream ends.
 */
export function linePrefixer(
  prefix: string,
  write: (text: string) => void,
): { push(bytes: Uint8Array): void; flush(): void } {
  let pending = "";
  const decoder = new TextDecoder();
  return {
    push(bytes) {
      const text = pending + decoder.decode(bytes, { stream: true });
      const end = text.lastIndexOf("\n");
      if (end === -1) {
        pending = text;
        return;
      }
      pending = text.slice(end + 1);
      write(
        text
          .slice(0, end + 1)
          .split(/(?<=\n)/)
          .map((line) => `${prefix}${line}`)
          .join(""),
      );
    },
    flush() {
      const rest = pending + decoder.decode();
      pending = "";
      if (rest !== "") write(`${prefix}${rest}\n`);
    },
  };
}
