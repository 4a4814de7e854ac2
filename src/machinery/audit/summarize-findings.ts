import { type Finding, SEVERITIES, type Severity } from "./finding.ts";
import { sortFindings } from "./sort-findings.ts";
import { worstSeverity } from "./worst-severity.ts";

/** What `stelectl audit -o json` prints: the findings, a count per severity and the worst one. */
export interface AuditSummary {
  findings: Finding[];
  /** Every severity, worst first, with its count (zeros included, so consumers need no defaults). */
  counts: Record<Severity, number>;
  /** The worst severity found, or null when there are no findings. */
  worst: Severity | null;
}

/** The key order of a finding in JSON: identity, then place, then the three texts. */
const FINDING_KEYS = [
  "rule",
  "severity",
  "file",
  "document",
  "path",
  "line",
  "column",
  "message",
  "why",
  "fix",
] as const;

/**
 * Summarises findings for machine consumers. Findings are sorted (see sortFindings) and rebuilt
 * with a fixed key order, so the JSON of equal audits is byte-identical and diffs between runs
 * show only what changed.
 */
export function summarizeFindings(findings: readonly Finding[]): AuditSummary {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity]++;
  const ordered = sortFindings(findings).map(
    (finding) => Object.fromEntries(FINDING_KEYS.map((key) => [key, finding[key]])) as unknown as Finding,
  );
  return { findings: ordered, counts, worst: worstSeverity(findings) ?? null };
}
