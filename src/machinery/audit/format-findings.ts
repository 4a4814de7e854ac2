import { SteleError } from "../errors.ts";
import { type Finding, SEVERITIES } from "./finding.ts";
import { sortFindings } from "./sort-findings.ts";
import { summarizeFindings } from "./summarize-findings.ts";

/** Output formats of `stelectl audit`. */
export type FindingsFormat = "text" | "json";

/** `1 critical, 2 info`: the non-zero counts, worst first. */
function countsText(findings: readonly Finding[]): string {
  const { counts } = summarizeFindings(findings);
  return SEVERITIES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(", ");
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** One finding as a block: the located line (which editors turn into a link), then why and fix. */
function findingBlock(finding: Finding): string {
  const where = `${finding.file}:${finding.line}:${finding.column} ${finding.document}${finding.path ? ` ${finding.path}` : ""}`;
  return `${finding.severity.toUpperCase()}  ${where}: ${finding.message}\n  why: ${finding.why}\n  fix: ${finding.fix}`;
}

/**
 * Renders findings for people (`text`) or programs (`json`).
 *
 * `text` groups them by file, worst first, one block per finding:
 * ```
 * HIGH  controlplane.yaml:12:1 MachineConfig debug: debug mode is on (debug: true)
 *   why: …
 *   fix: …
 * ```
 * and ends with a count per severity. `json` is the AuditSummary `{ findings, counts, worst }`
 * with a fixed key order, indented by two spaces.
 */
export function formatFindings(findings: readonly Finding[], format: FindingsFormat): string {
  if (format === "json") return JSON.stringify(summarizeFindings(findings), null, 2);
  if (format !== "text") {
    throw new SteleError(
      "invalid-argument",
      `Unknown audit output format: ${JSON.stringify(format)}`,
      "use -o text or -o json",
    );
  }
  if (findings.length === 0) return "No findings";
  const sorted = sortFindings(findings);
  const files = [...new Set(sorted.map((f) => f.file))];
  const sections = files.map((file) => {
    const mine = sorted.filter((f) => f.file === file);
    return [
      `${file}: ${plural(mine.length, "finding")} (${countsText(mine)})`,
      ...mine.map(findingBlock),
    ].join("\n\n");
  });
  const worst = summarizeFindings(findings).worst;
  const total = `${plural(findings.length, "finding")} in ${plural(files.length, "file")}: ${countsText(findings)} (worst: ${worst})`;
  return [...sections, total].join("\n\n");
}
