import type { Finding } from "./finding.ts";
import { severityRank } from "./worst-severity.ts";

/**
 * Orders findings the way a reader triages them: files in the order they were given (or first
 * seen), then worst first, then by position in the file, then by rule id, so equal inputs always
 * print identically.
 */
export function sortFindings(
  findings: readonly Finding[],
  options: { files?: readonly string[] } = {},
): Finding[] {
  const order = new Map<string, number>();
  for (const file of options.files ?? []) if (!order.has(file)) order.set(file, order.size);
  for (const finding of findings) if (!order.has(finding.file)) order.set(finding.file, order.size);
  return [...findings].sort(
    (a, b) =>
      order.get(a.file)! - order.get(b.file)! ||
      severityRank(b.severity) - severityRank(a.severity) ||
      a.line - b.line ||
      a.column - b.column ||
      a.rule.localeCompare(b.rule) ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}
