import { type ConfigPath, formatConfigPath } from "../config/config-path.ts";
import { documentRef } from "../config/document-ref.ts";
import type { ParsedConfig } from "../config/parse-config.ts";
import type { ConfigDocument } from "../config/schema/config-kinds.ts";
import { type AuditPolicy, type ResolvedAuditPolicy, resolveAuditPolicy } from "./audit-policy.ts";
import type { AuditContext, AuditRule, FindingDraft } from "./audit-rule.ts";
import type { Finding } from "./finding.ts";
import { type PemEntry, pemInventory } from "./pem-inventory.ts";
import { AUDIT_RULES } from "./rules.ts";
import { sortFindings } from "./sort-findings.ts";

/** Options of auditConfig and auditConfigs. */
export interface AuditOptions {
  policy?: AuditPolicy;
  /** The clock certificates are judged by; defaults to now. */
  now?: Date;
}

/**
 * Audits one machine config file against the hardening rules (see AUDIT_RULES) and returns its
 * findings, worst first, each at the line:column of the offending field. Reads only: the config is
 * not changed, and an audit never throws on what it finds (only on an invalid policy).
 */
export function auditConfig(parsed: ParsedConfig, options: AuditOptions = {}): Finding[] {
  return runAudit([parsed], options, false);
}

/**
 * Audits several files together: each one alone, plus the rules that need them side by side (a
 * worker holding a control plane's key, a CA reused across sections between files, two clusters
 * sharing a CA). Findings are grouped by file in the order given.
 */
export function auditConfigs(files: readonly ParsedConfig[], options: AuditOptions = {}): Finding[] {
  return runAudit(files, options, true);
}

interface FileState {
  parsed: ParsedConfig;
  pem: PemEntry[] | undefined;
}

function runAudit(files: readonly ParsedConfig[], options: AuditOptions, across: boolean): Finding[] {
  const policy = resolveAuditPolicy(options.policy);
  const now = options.now ?? new Date();
  const findings: Finding[] = [];
  const states: FileState[] = files.map((parsed) => ({ parsed, pem: undefined }));
  for (const rule of AUDIT_RULES) {
    const contexts = states.map((state) => createContext(state, rule, { policy, now, findings }));
    if (rule.check) for (const context of contexts) rule.check(context);
    if (across && rule.checkAcross) rule.checkAcross(contexts);
  }
  return sortFindings(dedupe(findings), { files: files.map((f) => f.file) });
}

function createContext(
  state: FileState,
  rule: AuditRule,
  shared: { policy: ResolvedAuditPolicy; now: Date; findings: Finding[] },
): AuditContext {
  const { parsed } = state;
  const locate = (document: ConfigDocument, path: ConfigPath, at?: "key" | "value") =>
    parsed.sourceMap.locate(documentRef(document), path, at ? { at } : {});
  return {
    parsed,
    policy: shared.policy,
    now: shared.now,
    get pem() {
      state.pem ??= pemInventory(parsed);
      return state.pem;
    },
    describe(document, path) {
      const { line } = locate(document, path);
      const formatted = formatConfigPath(path);
      return `${documentRef(document)}${formatted ? ` ${formatted}` : ""}, line ${line}`;
    },
    report(document, draft: FindingDraft) {
      const position = locate(document, draft.path, draft.at);
      shared.findings.push({
        rule: rule.id,
        severity: draft.severity ?? rule.severity,
        file: parsed.file,
        document: documentRef(document),
        path: formatConfigPath(draft.path),
        line: position.line,
        column: position.column,
        message: draft.message,
        why: rule.why,
        fix: draft.fix,
      });
    },
  };
}

/** Drops exact repeats (the same rule, place and message), which two routes to one defect can give. */
function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = JSON.stringify([finding.rule, finding.file, finding.document, finding.path, finding.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
