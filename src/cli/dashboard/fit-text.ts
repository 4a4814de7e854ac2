/**
 * Cuts `text` to `width` columns, ending with `…` when cut, and pads it with spaces to exactly
 * `width`: rows of a table stay one line each and columns line up at any terminal width.
 */
export function fitText(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...text.replaceAll(/[\r\n\t]/g, " ")];
  if (chars.length <= width) return chars.join("") + " ".repeat(width - chars.length);
  return `${chars.slice(0, width - 1).join("")}…`;
}
