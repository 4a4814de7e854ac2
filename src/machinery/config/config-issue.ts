import type { ConfigPath } from "./config-path.ts";

/**
 * One finding about a config file: where it is (file, document, path, line:column), what is wrong
 * (what was expected and what was found) and, where we know it, what to do. Loader, validator,
 * patches and audits all speak this one shape, so the CLI and the API print them alike.
 */
export interface ConfigIssue {
  severity: "error" | "warning";
  /** The file name as the user gave it (`controlplane.yaml`), or a label such as `<stdin>`. */
  file: string;
  /** `MachineConfig`, `TrustedRootsConfig/company`, or `document 3` when the kind is not known. */
  document: string;
  /** Dotted path with `[i]` for indexes (`network.interfaces[0].mtu`); empty for the whole document. */
  path: string;
  /** 1-based line and column of the offending key or value in the file. */
  line: number;
  column: number;
  /** Lower-case detail: what was expected, and what was found. */
  message: string;
  hint?: string | undefined;
}

/**
 * The raw material of an issue before it is placed in a file: the checks that find problems know
 * the document and path, and the source map adds line and column.
 */
export interface IssueDraft {
  severity?: "error" | "warning";
  path: ConfigPath;
  message: string;
  hint?: string | undefined;
  /** Point at the key of the last path segment instead of its value (unknown fields, bad map keys). */
  at?: "key" | "value";
}

/**
 * Formats an issue as one line that editors and terminals turn into a link, plus a hint line:
 * `controlplane.yaml:14:7 MachineConfig install.disk: expected an absolute device path, got "sda"`.
 * Warnings carry a `warning:` prefix so they are never mistaken for the errors that block a config.
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column} ${issue.document}${issue.path ? ` ${issue.path}` : ""}`;
  const line = `${issue.severity === "warning" ? "warning: " : ""}${where}: ${issue.message}`;
  return issue.hint ? `${line}\nhint: ${issue.hint}` : line;
}

/** Formats several issues, errors first, then warnings, each in file order. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return sortConfigIssues(issues).map(formatConfigIssue).join("\n");
}

/** Orders issues as users read them: errors before warnings, then by file position. */
export function sortConfigIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue) => (issue.severity === "error" ? 0 : 1);
  return [...issues].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.path.localeCompare(b.path),
  );
}
