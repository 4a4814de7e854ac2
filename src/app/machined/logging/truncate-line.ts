/** Options of {@link truncateLine}. */
export interface TruncateLineOptions {
  /**
   * UTF-8 bytes already cut from the end of this line before it got here (the line splitter
   * stops buffering a line at the cap); counted in the marker, and forces one even if `line` fits.
   */
  cutBytes?: number;
}

/** The text appended to a cut line; says how much is missing so nobody mistakes it for the whole line. */
function marker(cutBytes: number): string {
  return ` …[truncated ${cutBytes} bytes]`;
}

/**
 * Cuts a line to at most `maxBytes` UTF-8 bytes, marker included, on a character boundary, and
 * appends a marker naming how many bytes were cut. Lines within the cap are returned unchanged
 * (the common case is checked without encoding: a UTF-16 unit is at most 3 UTF-8 bytes).
 */
export function truncateLine(line: string, maxBytes: number, options: TruncateLineOptions = {}): string {
  const cutBefore = options.cutBytes ?? 0;
  if (cutBefore === 0 && line.length * 3 <= maxBytes) return line;
  const encoded = Buffer.from(line, "utf8");
  if (cutBefore === 0 && encoded.length <= maxBytes) return line;
  // The marker grows with the count's digits: reserve room for the largest count it could show.
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker(encoded.length + cutBefore)));
  let keep = Math.min(room, encoded.length);
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (keep > 0 && keep < encoded.length && ((encoded[keep] ?? 0) & 0xc0) === 0x80) keep--;
  return encoded.toString("utf8", 0, keep) + marker(encoded.length - keep + cutBefore);
}
