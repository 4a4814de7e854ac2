/**
 * How bad a finding is, worst first. The scale is the one security teams already use for
 * vulnerability triage, so a finding can go straight into their tracker:
 * - `critical`: an attacker gets control of the cluster or its nodes with no further step;
 * - `high`: a direct weakening of authentication, authorization, secrets or the supply chain;
 * - `medium`: a weakening that needs another failure to matter;
 * - `low`: a risky operational choice that should be deliberate;
 * - `info`: something the security team should know or review, not a defect.
 */
export type Severity = "critical" | "high" | "medium" | "low" | "info";

/** Every severity, worst first: the order findings are listed and counted in. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/**
 * One audit finding: which rule, how bad, where exactly (file, document, path, line:column of the
 * offending field, as the config loader reports its own issues), what was found, why it matters
 * and how to fix it. `why` and `fix` are always filled, because a finding nobody knows how to act
 * on only teaches people to ignore the audit.
 */
export interface Finding {
  /** Stable rule id (`debug-enabled`): what scripts and suppression lists key on. */
  rule: string;
  severity: Severity;
  /** The file name as the user gave it. */
  file: string;
  /** `MachineConfig`, `TrustedRootsConfig/company`…: the document holding the field. */
  document: string;
  /** Dotted path of the field (`features.rbac`), empty for the whole document. */
  path: string;
  /** 1-based line and column of the field, or of its nearest existing ancestor when it is missing. */
  line: number;
  column: number;
  /** What is wrong, concretely, with the value found. */
  message: string;
  /** Why it matters, in one sentence, citing the seed's recommendation or the CIS benchmark. */
  why: string;
  /** How to fix it: the exact field and value. */
  fix: string;
}
