import type { Finding, Severity } from "./finding.ts";
import { worstSeverity } from "./worst-severity.ts";

/**
 * The exit code of `stelectl audit` for each worst severity found:
 * - 0: no findings, or `info` only (nothing to fix; reviews to do);
 * - 1: worst is `low` or `medium`;
 * - 2: worst is `high`;
 * - 3: worst is `critical`.
 * Graded rather than 0/1 so a pipeline can choose its own bar (`[ $? -lt 2 ]` accepts medium).
 */
export const AUDIT_EXIT_CODES: Readonly<Record<Severity, number>> = {
  info: 0,
  low: 1,
  medium: 1,
  high: 2,
  critical: 3,
};

/** The exit code for a set of findings (see AUDIT_EXIT_CODES): 0 when there are none. */
export function exitCodeFor(findings: readonly Finding[]): number {
  const worst = worstSeverity(findings);
  return worst === undefined ? 0 : AUDIT_EXIT_CODES[worst];
}
