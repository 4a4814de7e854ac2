const BLOCKS = "▁▂▃▄▅▆▇█";

/**
 * Draws values as a one-line graph of unicode blocks, the newest on the right, scaled to `max`
 * (default: the largest value, so a quiet link still shows its shape). Only the last `width` values
 * are drawn; fewer values are padded on the left with spaces, so graphs of one screen line up.
 */
export function sparkline(values: readonly number[], options: { width: number; max?: number }): string {
  const shown = values.slice(Math.max(0, values.length - options.width));
  const max = options.max ?? Math.max(0, ...shown);
  const top = BLOCKS.length - 1;
  const bars = shown.map((value) => {
    if (!(max > 0) || !(value > 0)) return BLOCKS[0];
    return BLOCKS[Math.min(top, Math.round((value / max) * top))];
  });
  return " ".repeat(Math.max(0, options.width - shown.length)) + bars.join("");
}
