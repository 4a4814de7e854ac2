import type { ConfigIssue } from "./config-issue.ts";
import { sortConfigIssues } from "./config-issue.ts";
import { formatConfigPath } from "./config-path.ts";
import { documentRef } from "./document-ref.ts";
import type { ParsedConfig } from "./parse-config.ts";
import { clusterConfigPresentRule, kubernetesVersionRule } from "./validate/cluster-rules.ts";
import { extensionsSignedRule, installDiskRule, riskySettingsRule } from "./validate/machine-rules.ts";
import { clusterSubnetsRule, interfacesRule } from "./validate/network-rules.ts";
import {
  certificateAuthorityRule,
  certificateBundleRule,
  serviceAccountKeyRule,
  trustedKeysRule,
} from "./validate/pem-rules.ts";
import { machineTypeSecretsRule } from "./validate/secrets-rules.ts";
import { uniqueEntriesRule } from "./validate/uniqueness-rules.ts";
import type { ValidationContext, ValidationMode, ValidationRule } from "./validate/validation-context.ts";

/**
 * The semantic rules, in the order their findings are most useful. The reference lists them from
 * here, so documentation and behaviour cannot drift.
 */
export const VALIDATION_RULES: readonly ValidationRule[] = [
  clusterConfigPresentRule,
  installDiskRule,
  machineTypeSecretsRule,
  kubernetesVersionRule,
  certificateAuthorityRule,
  serviceAccountKeyRule,
  certificateBundleRule,
  trustedKeysRule,
  clusterSubnetsRule,
  interfacesRule,
  uniqueEntriesRule,
  extensionsSignedRule,
  riskySettingsRule,
];

/** Options of validateConfig. */
export interface ValidateConfigOptions {
  /** `metal` requires an install disk; `container` does not. */
  mode: ValidationMode;
  /** The time certificates are checked against; now by default. */
  now?: Date;
}

/**
 * Checks the rules a schema cannot express — those that involve several fields, the machine type,
 * the platform, the clock or cryptography — and returns every finding, errors and warnings, each
 * with its file, document, path and line:column. Returns rather than throws: callers decide whether
 * warnings block (they never do for `apply`; a CI lint may choose to).
 */
export function validateConfig(parsed: ParsedConfig, options: ValidateConfigOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const context: ValidationContext = {
    parsed,
    mode: options.mode,
    now: options.now ?? new Date(),
    report(document, draft) {
      const ref = document === "file" ? undefined : documentRef(document);
      const position = ref
        ? parsed.sourceMap.locate(ref, draft.path, { at: draft.at ?? "value" })
        : { line: 1, column: 1 };
      issues.push({
        severity: draft.severity ?? "error",
        file: parsed.file,
        document: ref ?? "file",
        path: formatConfigPath(draft.path),
        line: position.line,
        column: position.column,
        message: draft.message,
        hint: draft.hint,
      });
    },
  };
  for (const rule of VALIDATION_RULES) rule.check(context);
  return sortConfigIssues(issues);
}
