import type { ConfigIssue } from "./config-issue.ts";
import { sortConfigIssues } from "./config-issue.ts";
import { type ParsedConfig, parseConfig } from "./parse-config.ts";
import type { ValidationMode } from "./validate/validation-context.ts";
import { validateConfig } from "./validate-config.ts";

/**
 * Loads and validates a config in one call, as `apply`, `validate` and the node's boot do: parse
 * errors are thrown as a ConfigError (there is nothing to validate), semantic findings and loader
 * warnings are returned, sorted errors first.
 */
export function loadAndValidateConfig(
  text: string,
  options: { file: string; mode: ValidationMode; now?: Date },
): { parsed: ParsedConfig; issues: ConfigIssue[] } {
  const parsed = parseConfig(text, { file: options.file });
  const issues = validateConfig(parsed, { mode: options.mode, ...(options.now ? { now: options.now } : {}) });
  return { parsed, issues: sortConfigIssues([...parsed.warnings, ...issues]) };
}
