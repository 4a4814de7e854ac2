import { readFileSync } from "node:fs";

/**
 * The last lines of a log, each indented as `  | line`, for an error that says why a process of
 * the cluster exited; `missing` stands in when the log cannot be read (not written yet).
 */
export function logTail(path: string, options: { lines: number; missing: string }): string {
  try {
    return readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .slice(-options.lines)
      .map((line) => `  | ${line}`)
      .join("\n");
  } catch {
    return `  ${options.missing}`;
  }
}
