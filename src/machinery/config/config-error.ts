import { isSteleError, SteleError } from "../errors.ts";
import { type ConfigIssue, formatConfigIssue, sortConfigIssues } from "./config-issue.ts";

/**
 * The only error that loading a config throws, whatever the input: a SteleError with code
 * `invalid-config` that carries every issue found, so a user fixes a file in one round instead of
 * one error per run. Its message lists the issues in the `file:line:column` form; its hint says what
 * to do (the issue's own hint when there is exactly one).
 */
export class ConfigError extends SteleError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const sorted = sortConfigIssues(issues);
    const errors = sorted.filter((issue) => issue.severity === "error");
    const first = errors[0] ?? sorted[0];
    let message: string;
    let hint: string | undefined;
    if (sorted.length === 1 && first) {
      message = `Machine config rejected: ${formatConfigIssue({ ...first, hint: undefined })}`;
      hint = first.hint;
    } else {
      const count = `${errors.length} error${errors.length === 1 ? "" : "s"}`;
      const files = [...new Set(sorted.map((issue) => issue.file))].join(", ");
      const body = sorted.map((issue) => formatConfigIssue(issue).replace(/^/gm, "  ")).join("\n");
      message = `Machine config rejected: ${count} in ${files}:\n${body}`;
      hint = "fix every error listed above; `stelectl validate --help` lists the rules";
    }
    super("invalid-config", message, hint, options);
    this.issues = sorted;
  }
}

/**
 * Whether a value is a ConfigError, across bundles: it is a SteleError with code `invalid-config`
 * and an `issues` list (the name stays `SteleError` so every generic error printer handles it).
 */
export function isConfigError(value: unknown): value is ConfigError {
  return (
    isSteleError(value) &&
    value.code === "invalid-config" &&
    Array.isArray((value as { issues?: unknown }).issues)
  );
}
