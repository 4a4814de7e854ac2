import type { z } from "zod";
import type { IssueDraft } from "./config-issue.ts";
import type { ConfigPath } from "./config-path.ts";
import { describeValue, valueAtPath } from "./describe-value.ts";
import {
  isIntegerSchema,
  knownFields,
  schemaAtPath,
  schemaDescription,
} from "./schema/schema-introspection.ts";
import { suggestClosest } from "./suggest-closest.ts";

/** What the translation needs besides the issues: the checked value, its schema, and the source. */
export interface ZodIssueContext {
  schema: z.ZodType;
  value: unknown;
  /** The scalar at a path exactly as written in the file (`1.30`), for quoting hints. */
  sourceText?: (path: ConfigPath) => string | undefined;
}

/**
 * Turns zod's issues into user-facing drafts: every message says what was expected and what was
 * found, an unknown field suggests the closest known one, a missing field explains what it is, and
 * the common YAML traps (unquoted versions, yes/no, empty values) come with a hint on the fix.
 */
export function zodIssueDrafts(issues: readonly z.core.$ZodIssue[], context: ZodIssueContext): IssueDraft[] {
  return issues.flatMap((issue) => translate(issue, context));
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  record: "a mapping",
  literal: "a fixed value",
};

function translate(issue: z.core.$ZodIssue, context: ZodIssueContext): IssueDraft[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== "symbol");
  const found = valueAtPath(context.value, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownFields(schemaAtPath(context.schema, path) ?? context.schema);
      return issue.keys.map((key) => {
        const suggestion = suggestClosest(key, known);
        const hint = suggestion
          ? `did you mean "${suggestion}"?`
          : known.length > 0
            ? `fields allowed here: ${known.join(", ")}`
            : undefined;
        return { path: [...path, key], at: "key" as const, message: `unknown field "${key}"`, hint };
      });
    }
    case "invalid_type": {
      if (found === undefined) {
        const field = path[path.length - 1];
        const description = schemaDescription(schemaAtPath(context.schema, path));
        return [
          {
            path,
            message: typeof field === "string" ? `missing required field "${field}"` : "missing value",
            hint: description ? `add ${String(field)}: ${description}` : undefined,
          },
        ];
      }
      const kind =
        issue.expected === "number" && isIntegerSchema(schemaAtPath(context.schema, path))
          ? "int"
          : issue.expected;
      const expected = EXPECTED[kind] ?? kind;
      return [
        {
          path,
          message: `expected ${expected}, got ${describeValue(found)}`,
          hint: typeHint(kind, found, path, context),
        },
      ];
    }
    case "invalid_value": {
      const options = issue.values.map((v) => (typeof v === "string" ? v : String(v)));
      const suggestion = typeof found === "string" ? suggestClosest(found, options) : undefined;
      return [
        {
          path,
          message: `expected one of ${options.join(", ")}, got ${describeValue(found)}`,
          hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
        },
      ];
    }
    case "too_small":
    case "too_big":
      return [{ path, message: sizeMessage(issue, found) }];
    case "invalid_key": {
      const inner = issue.issues[0];
      const key = path[path.length - 1];
      const base = inner && inner.code === "custom" ? inner.message : "expected a valid key";
      return [
        {
          path,
          at: "key",
          message: `${base}, got ${describeValue(key)}`,
          hint: inner ? hintParam(inner) : undefined,
        },
      ];
    }
    case "invalid_union": {
      const expected = [
        ...new Set(
          issue.errors
            .flat()
            .flatMap((inner) =>
              inner.code === "invalid_type" ? [EXPECTED[inner.expected] ?? inner.expected] : [],
            ),
        ),
      ];
      const phrase =
        expected.length > 1
          ? `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}`
          : (expected[0] ?? "another value");
      return [
        {
          path,
          message: `expected ${phrase}, got ${describeValue(found)}`,
          hint: typeHint("string", found, path, context),
        },
      ];
    }
    case "custom":
      return [{ path, message: `${issue.message}, got ${describeValue(found)}`, hint: hintParam(issue) }];
    default:
      return [{ path, message: `${lowerFirst(issue.message)}, got ${describeValue(found)}` }];
  }
}

function hintParam(issue: z.core.$ZodIssue): string | undefined {
  const params = (issue as { params?: { hint?: unknown } }).params;
  return typeof params?.hint === "string" ? params.hint : undefined;
}

function typeHint(
  expected: string,
  found: unknown,
  path: ConfigPath,
  context: ZodIssueContext,
): string | undefined {
  if (found === null) return "the value is empty: write one, or remove the key";
  if (expected === "string" && (typeof found === "number" || typeof found === "boolean")) {
    const written = context.sourceText?.(path) ?? String(found);
    return `quote it so YAML reads it as text: "${written.replace(/^["']|["']$/g, "")}"`;
  }
  if (
    expected === "boolean" &&
    typeof found === "string" &&
    /^(yes|no|on|off|y|n|true|false)$/i.test(found)
  ) {
    return "YAML 1.2 reads yes/no/on/off as text: write true or false, unquoted";
  }
  if (
    (expected === "int" || expected === "number") &&
    typeof found === "string" &&
    /^-?[0-9]+$/.test(found)
  ) {
    return "remove the quotes: a number is expected";
  }
  if (expected === "array" && found !== null && typeof found !== "object")
    return "write a YAML list, one `- item` per line";
  return undefined;
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, found: unknown): string {
  const small = issue.code === "too_small";
  const limit = small
    ? (issue as z.core.$ZodIssueTooSmall).minimum
    : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  if (issue.origin === "array") {
    const n = Array.isArray(found) ? found.length : 0;
    const entries = (count: number | bigint) => `${count} entr${count === 1 ? "y" : "ies"}`;
    return `expected ${small ? "at least" : "at most"} ${entries(limit)}, got ${n === 0 ? "none" : entries(n)}`;
  }
  if (issue.origin === "string") {
    const n = typeof found === "string" ? found.length : 0;
    if (small && Number(limit) === 1) return "expected a non-empty string, got an empty one";
    return `expected ${small ? "at least" : "at most"} ${limit} characters, got ${n}`;
  }
  const bound = small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
  return `expected ${bound} ${limit}, got ${describeValue(found)}`;
}

function lowerFirst(text: string): string {
  return text.length > 1 && /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}
