/**
 * A short, user-facing description of a value found in a config, for the "got …" half of an error
 * message: strings are quoted (and cut when long or multi-line), collections are named rather than
 * dumped, and YAML's empty value is called what users see.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (typeof value === "string") return quoteShort(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value instanceof Uint8Array) return "binary data";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

const MAX_SHOWN = 48;

function quoteShort(value: string): string {
  const firstLine = value.split("\n", 1)[0] ?? "";
  const cut = firstLine.length > MAX_SHOWN || firstLine.length < value.length;
  const shown = firstLine.length > MAX_SHOWN ? firstLine.slice(0, MAX_SHOWN) : firstLine;
  return `${JSON.stringify(shown).slice(0, -1)}${cut ? "…" : ""}"`;
}

/** The value at a path in a plain JS value, or undefined when the path does not exist. */
export function valueAtPath(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
