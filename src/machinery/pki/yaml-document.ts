import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, Document as YamlDocument } from "yaml";
import type { z } from "zod";
import { SteleError } from "../errors.ts";

/** A path into a YAML document, as zod reports it: keys and indexes from the root. */
export type YamlPath = ReadonlyArray<PropertyKey>;

/** One problem in a YAML file, placed where the user will look for it. */
export interface YamlIssue {
  line: number;
  column: number;
  /** Dotted path with `[i]` for indexes, e.g. `contexts.prod.endpoints[0]`; empty for the root. */
  path: string;
  message: string;
}

/** A parsed single-document YAML file that can still say where each value came from. */
export interface LoadedYaml {
  /** The document as plain JavaScript values. */
  value: unknown;
  /**
   * Where a path is in the file (1-based). With `key`, the position of the last key itself rather
   * than its value (for "unknown field" issues). A path that does not exist resolves to its
   * nearest existing parent, which is where a missing field would have to be added.
   */
  locate(path: YamlPath, options?: { key?: boolean }): { line: number; column: number };
}

/** Writes a path the way users see it in messages: `certs.os.crt`, `endpoints[0]`. */
export function formatPath(path: YamlPath): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text;
}

/** Builds the one error of a rejected file: every issue on its own `file:line:column path: message` line. */
export function yamlIssuesError(
  what: string,
  file: string,
  issues: readonly YamlIssue[],
  hint: string,
): SteleError {
  const lines = issues.map((i) => `${file}:${i.line}:${i.column}${i.path ? ` ${i.path}` : ""}: ${i.message}`);
  const message =
    lines.length === 1
      ? `${what} rejected: ${lines[0]}`
      : `${what} rejected: ${lines.length} problems\n  ${lines.join("\n  ")}`;
  return new SteleError("invalid-config", message, hint);
}

/**
 * Parses a single YAML document, keeping positions. Syntax errors (including duplicate keys, a
 * second document, and anything `toJS` throws on, such as an unresolved alias) are reported
 * together with their line:column, as an "invalid-config" SteleError.
 */
export function loadYaml(text: string, options: { file: string; what: string; hint: string }): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => ({
      ...position(error.pos[0]),
      path: "",
      message: `YAML syntax error: ${error.message}`,
    }));
    throw yamlIssuesError(options.what, options.file, issues, options.hint);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw yamlIssuesError(
      options.what,
      options.file,
      [{ line: 1, column: 1, path: "", message }],
      options.hint,
    );
  }
  return {
    value,
    locate(path, locateOptions = {}) {
      const keys = path.map((p) => (typeof p === "symbol" ? String(p) : p));
      for (let depth = keys.length; depth > 0; depth--) {
        const parent = depth === 1 ? doc.contents : doc.getIn(keys.slice(0, depth - 1), true);
        const last = keys[depth - 1];
        if (isMap(parent)) {
          const pair = parent.items.find(
            (item) => isScalar(item.key) && String(item.key.value) === String(last),
          );
          const node =
            pair && (locateOptions.key || depth < keys.length || !pair.value ? pair.key : pair.value);
          const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
          if (range) return position(range[0]);
        } else if (isSeq(parent) && typeof last === "number") {
          const range = (parent.items[last] as { range?: [number, number, number] } | undefined)?.range;
          if (range) return position(range[0]);
        }
      }
      const range = (doc.contents as { range?: [number, number, number] } | null)?.range;
      return range ? position(range[0]) : { line: 1, column: 1 };
    },
  };
}

/**
 * Turns zod issues into positioned issues. Unknown fields are placed on the key itself, missing
 * fields on the object that should hold them; the messages never repeat the value found, because
 * the files these schemas read hold secrets and errors end up in logs.
 */
export function issuesFromZod(error: z.ZodError, loaded: LoadedYaml): YamlIssue[] {
  const issues: YamlIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        issues.push({
          ...loaded.locate(path, { key: true }),
          path: formatPath(path),
          message: "unknown field",
        });
      }
      continue;
    }
    const missing = issue.code === "invalid_type" && valueAt(loaded.value, issue.path) === undefined;
    issues.push({
      ...loaded.locate(issue.path),
      path: formatPath(issue.path),
      message: missing ? `required field is missing (expected ${issue.expected})` : issue.message,
    });
  }
  return sortIssues(issues);
}

/** Issues in file order, the order a user fixes them in. */
export function sortIssues(issues: YamlIssue[]): YamlIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

function valueAt(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/**
 * Serialises a value as YAML with every multi-line string (PEM) as a block literal, so that
 * certificates stay readable and copy-pasteable, and with no line folding, so that long base64
 * secrets stay on one line.
 */
export function toYaml(value: unknown): string {
  const doc = new YamlDocument(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && node.value.includes("\n")) node.type = "BLOCK_LITERAL";
    },
  });
  return doc.toString({ lineWidth: 0 });
}
