/**
 * `audit`: the seed's hardening recommendations and the CIS Kubernetes Benchmark checked by
 * program against machine configs (`stelectl audit FILE… [-o json]`). Only what is exported here
 * is the public surface.
 */
export { type AuditOptions, auditConfig, auditConfigs } from "./audit-config.ts";
export {
  type AuditPolicy,
  DEFAULT_AUDIT_POLICY,
  type ResolvedAuditPolicy,
  resolveAuditPolicy,
} from "./audit-policy.ts";
export type { AuditContext, AuditRule, FindingDraft } from "./audit-rule.ts";
export { AUDIT_EXIT_CODES, exitCodeFor } from "./exit-code-for.ts";
export { DEVELOPMENT_SIGNING_KEY_NAME } from "./extension-rules.ts";
export { type Finding, SEVERITIES, type Severity } from "./finding.ts";
export { type FindingsFormat, formatFindings } from "./format-findings.ts";
export { AUDIT_RULES } from "./rules.ts";
export { sortFindings } from "./sort-findings.ts";
export { type AuditSummary, summarizeFindings } from "./summarize-findings.ts";
export { severityRank, worstSeverity } from "./worst-severity.ts";
