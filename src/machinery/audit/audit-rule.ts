import type { ConfigPath } from "../config/config-path.ts";
import type { ParsedConfig } from "../config/parse-config.ts";
import type { ConfigDocument } from "../config/schema/config-kinds.ts";
import type { ResolvedAuditPolicy } from "./audit-policy.ts";
import type { Severity } from "./finding.ts";
import type { PemEntry } from "./pem-inventory.ts";

/** What a rule knows when it finds something: the field, what is wrong and how to fix it. */
export interface FindingDraft {
  path: ConfigPath;
  /** What is wrong, concretely, with the value found (lower case, like loader messages). */
  message: string;
  /** The exact field and value to set, or what to remove. */
  fix: string;
  /** Only for rules whose severity depends on the case (`no-trusted-keys`); otherwise the rule's. */
  severity?: Severity;
  /** Point at the key rather than the value (for "remove this field" findings). */
  at?: "key" | "value";
}

/** What a rule sees of one file, and where it reports. */
export interface AuditContext {
  readonly parsed: ParsedConfig;
  readonly policy: ResolvedAuditPolicy;
  /** The clock certificates are judged by (injectable so tests are deterministic). */
  readonly now: Date;
  /** Every PEM block of the file, read once and shared by the rules. */
  readonly pem: readonly PemEntry[];
  /** Names a field for a message that points at a second place: `ClusterConfig ca.crt (line 40)`. */
  describe(document: ConfigDocument, path: ConfigPath): string;
  /** Records a finding of this rule on a field of this file. */
  report(document: ConfigDocument, draft: FindingDraft): void;
}

/**
 * One hardening rule: a stable id, its severity, a title, why it matters, and its check. `check`
 * looks at one file; `checkAcross` at all files audited together (a control plane and a worker of
 * one cluster, or several clusters), for what no single file shows. A rule may have both.
 */
export interface AuditRule {
  /** Stable id, kebab-case: what scripts, suppression lists and docs key on. */
  readonly id: string;
  /** The severity of its findings; for a rule that varies by case, the worst it reports. */
  readonly severity: Severity;
  /** One line for rule listings. */
  readonly title: string;
  /** Why it matters, citing the seed's recommendation or the CIS benchmark; copied into findings. */
  readonly why: string;
  check?(context: AuditContext): void;
  checkAcross?(contexts: readonly AuditContext[]): void;
}
