import { type Document, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type YAMLError } from "yaml";
import { CONFIG_API_VERSION } from "../constants.ts";
import { ConfigError, isConfigError } from "./config-error.ts";
import type { ConfigIssue, IssueDraft } from "./config-issue.ts";
import { formatConfigPath } from "./config-path.ts";
import { ConfigSourceMap } from "./config-source-map.ts";
import { describeValue } from "./describe-value.ts";
import { documentRef } from "./document-ref.ts";
import {
  CONFIG_KIND_NAMES,
  CONFIG_KINDS,
  type ConfigDocument,
  type ConfigKind,
  isConfigKind,
} from "./schema/config-kinds.ts";
import type { MachineConfig } from "./schema/machine-config.ts";
import { suggestClosest } from "./suggest-closest.ts";
import { zodIssueDrafts } from "./zod-issue-drafts.ts";

/** A loaded machine config: typed documents in file order, plus what is needed to point into the file. */
export interface ParsedConfig {
  /** The file name given to parseConfig, used in every issue. */
  readonly file: string;
  /** The documents, typed and with defaults filled in, in file order. */
  readonly documents: readonly ConfigDocument[];
  /** The one MachineConfig document (also in `documents`). */
  readonly machineConfig: MachineConfig;
  /** Findings that do not block loading. */
  readonly warnings: readonly ConfigIssue[];
  /** Maps a document reference and a path to line:column in the file. */
  readonly sourceMap: ConfigSourceMap;
}

/** Options of parseConfig. */
export interface ParseConfigOptions {
  /** The file name as the user gave it; it prefixes every issue. */
  file: string;
}

/**
 * The largest config accepted, in characters. Inline manifests make configs big (a CNI's manifests
 * run to a few MiB); anything beyond this is a mistake, and refusing it early bounds time and memory.
 */
export const MAX_CONFIG_CHARS = 16 * 1024 * 1024;

/** YAML syntax errors reported per document; later ones are almost always echoes of the first. */
const MAX_SYNTAX_ERRORS_PER_DOCUMENT = 5;

/**
 * Kinds that are Stele documents but not machine config documents, with what to do instead. Named
 * here so a user who passes the wrong file learns which file they passed.
 */
const FOREIGN_KINDS: Readonly<Record<string, string>> = {
  SecretsBundle:
    "a SecretsBundle holds a cluster's secrets (from `stelectl gen secrets`): keep it apart and generate machine configs from it with `stelectl gen config`",
};

/** Messages of the YAML library that speak of its options rather than of the file. */
const YAML_MESSAGES: Readonly<Record<string, string>> = {
  NON_STRING_KEY: "a key must be a plain name, not a list or a mapping",
};

const YAML_HINTS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: "a key appears twice in the same mapping: keep one",
  TAB_AS_INDENT: "indent with spaces: YAML does not allow tabs for indentation",
  BAD_INDENT: "check the indentation: items of one mapping or list must line up",
  MISSING_CHAR: "a quote or bracket is not closed",
  MULTILINE_IMPLICIT_KEY: "a key must fit on one line: is a ':' missing, or a value not indented?",
  BLOCK_AS_IMPLICIT_KEY: "a key must fit on one line: is a ':' missing, or a value not indented?",
  TAG_RESOLVE_FAILED: "Stele configs use plain YAML: remove the tag",
  UNEXPECTED_TOKEN: "check the line for a stray character or a missing ': '",
  NON_STRING_KEY: "keys are plain names: a list or a mapping cannot be a key",
};

/**
 * Loads a machine config: multi-document YAML, each document typed by its `kind`. Returns the
 * typed documents, or throws a ConfigError listing every problem found (syntax, unknown or
 * duplicate documents, schema violations), each with file, document, path and line:column.
 *
 * Whatever the input bytes, nothing but a ConfigError is thrown: the loader is the first thing
 * that touches user input on a node and in the CLI, and a crash there is a denial of service.
 * Rules that need more than one field (machine type, mode, PEM pairs) are validateConfig's.
 */
export function parseConfig(text: string, options: ParseConfigOptions): ParsedConfig {
  const file = options.file;
  try {
    return load(text, file);
  } catch (error) {
    if (isConfigError(error)) throw error;
    // The YAML library can throw on inputs it accepted (unresolved aliases, resource limits), and
    // deep nesting can exhaust the stack: still a config problem, reported as one.
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      [
        fileIssue(
          file,
          `could not be read: ${detail}`,
          "simplify the YAML: Stele configs need no anchors, tags or deep nesting",
        ),
      ],
      { cause: error },
    );
  }
}

interface Candidate {
  index: number;
  kind: ConfigKind;
  ref: string;
  label: string;
  value: ConfigDocument;
}

function load(text: unknown, file: string): ParsedConfig {
  if (typeof text !== "string")
    throw new ConfigError([fileIssue(file, `expected YAML text, got ${describeValue(text)}`)]);
  if (text.length > MAX_CONFIG_CHARS) {
    throw new ConfigError([
      fileIssue(
        file,
        `the file has ${text.length} characters: at most ${MAX_CONFIG_CHARS} are accepted`,
        "move large manifests out of inlineManifests, or check that this is the right file",
      ),
    ]);
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    const lineStart = text.lastIndexOf("\n", nul - 1) + 1;
    const line = text.slice(0, lineStart).split("\n").length;
    throw new ConfigError([
      {
        ...fileIssue(
          file,
          "expected YAML text, got binary data (a NUL byte)",
          "check that this is the config file",
        ),
        line,
        column: nul - lineStart + 1,
      },
    ]);
  }

  const lines = new LineCounter();
  // stringKeys: keys are names, so `1:` is the key "1" and a list or mapping as a key is an error;
  // logLevel: the library must not print warnings of its own to the process's stderr.
  const parsed = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    stringKeys: true,
    logLevel: "error",
  });
  const yamlDocuments: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const sourceMap = new ConfigSourceMap(text, lines, yamlDocuments);
  const issues: ConfigIssue[] = [];
  const candidates: Candidate[] = [];
  const firstSeen = new Map<string, number>();
  let nonEmpty = 0;
  let machineConfigSeen = false;
  // Documents whose kind could not be read: any of them may be the MachineConfig.
  let unidentified = 0;

  const place = (document: number, label: string, draft: IssueDraft): ConfigIssue => {
    const position = sourceMap.locate(document, draft.path, { at: draft.at ?? "value" });
    return {
      severity: draft.severity ?? "error",
      file,
      document: label,
      path: formatConfigPath(draft.path),
      line: position.line,
      column: position.column,
      message: draft.message,
      hint: draft.hint,
    };
  };

  yamlDocuments.forEach((doc, i) => {
    const index = i + 1;
    const fallbackLabel = `document ${index}`;
    const syntax = [...doc.errors, ...doc.warnings];
    if (syntax.length > 0) {
      // The values of a document with syntax errors are unreliable: report the errors only, but
      // remember its kind so no "missing MachineConfig" or "empty file" error piles on.
      const label = labelFromAst(doc, index) ?? fallbackLabel;
      for (const error of syntax.slice(0, MAX_SYNTAX_ERRORS_PER_DOCUMENT))
        issues.push(yamlIssue(file, label, error, sourceMap));
      if (syntax.length > MAX_SYNTAX_ERRORS_PER_DOCUMENT) {
        const more = syntax.length - MAX_SYNTAX_ERRORS_PER_DOCUMENT;
        const next = syntax[MAX_SYNTAX_ERRORS_PER_DOCUMENT]!;
        issues.push({
          ...yamlIssue(file, label, next, sourceMap),
          message: `invalid YAML: ${more} more error${more === 1 ? "" : "s"} in this document, not shown`,
          hint: "they usually follow from the first ones: fix those and load again",
        });
      }
      nonEmpty++;
      if (label === "MachineConfig") machineConfigSeen = true;
      if (label === fallbackLabel) unidentified++;
      return;
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return; // `---` with nothing: allowed.
    nonEmpty++;
    if (!isMap(contents)) {
      unidentified++;
      const what = isSeq(contents)
        ? "a list"
        : isScalar(contents)
          ? describeValue(contents.value)
          : "something else";
      issues.push(
        place(index, fallbackLabel, {
          path: [],
          message: `expected a mapping with apiVersion and kind, got ${what}`,
          hint: "each document between `---` lines is one mapping that starts with apiVersion and kind",
        }),
      );
      return;
    }
    let value: Record<string, unknown>;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    } catch (error) {
      // yaml accepts some documents it cannot turn into values (an alias before its anchor, alias
      // bombs): report them where the document starts.
      const label = labelFromAst(doc, index) ?? fallbackLabel;
      if (label === "MachineConfig") machineConfigSeen = true;
      if (label === fallbackLabel) unidentified++;
      issues.push(
        place(index, label, {
          path: [],
          message: `could not be read: ${error instanceof Error ? lowerFirst(error.message) : String(error)}`,
          hint: "define each anchor (&name) before its alias (*name), and avoid aliases of aliases",
        }),
      );
      return;
    }
    checkDocument(index, value);
  });

  function checkDocument(index: number, value: Record<string, unknown>): void {
    const fallbackLabel = `document ${index}`;
    const kind = value["kind"];
    const apiVersion = value["apiVersion"];
    const drafts: IssueDraft[] = [];

    if (apiVersion === undefined) {
      drafts.push({
        path: [],
        message: `missing apiVersion: expected ${CONFIG_API_VERSION}`,
        hint: talosHint(value) ?? `add \`apiVersion: ${CONFIG_API_VERSION}\` at the top of the document`,
      });
    } else if (apiVersion !== CONFIG_API_VERSION) {
      drafts.push({
        path: ["apiVersion"],
        message: `expected apiVersion ${CONFIG_API_VERSION}, got ${describeValue(apiVersion)}`,
        hint: talosHint(value) ?? `this release reads ${CONFIG_API_VERSION} documents only`,
      });
    }

    if (!isConfigKind(kind)) {
      let message: string;
      let hint: string | undefined;
      const valid = CONFIG_KIND_NAMES.join(", ");
      if (kind === undefined) {
        message = `missing kind: expected one of ${valid}`;
        hint = "add `kind: MachineConfig` (or another kind) at the top of the document";
      } else if (typeof kind === "string" && Object.hasOwn(FOREIGN_KINDS, kind)) {
        message = `kind ${kind} does not belong in a machine config: expected one of ${valid}`;
        hint = FOREIGN_KINDS[kind];
      } else {
        message = `unknown kind ${describeValue(kind)}: expected one of ${valid}`;
        const suggestion = typeof kind === "string" ? suggestClosest(kind, CONFIG_KIND_NAMES) : undefined;
        hint = suggestion ? `did you mean "${suggestion}"?` : undefined;
      }
      drafts.push({ path: kind === undefined ? [] : ["kind"], message, hint });
      unidentified++;
      for (const draft of drafts) issues.push(place(index, fallbackLabel, draft));
      return;
    }

    const info = CONFIG_KINDS[kind];
    const body: Record<string, unknown> = { ...value, apiVersion: CONFIG_API_VERSION };
    const name = value["name"];
    let label: string = kind;
    if (info.repeatable) {
      label = typeof name === "string" && name !== "" ? `${kind}/${name}` : `${kind} (document ${index})`;
    } else if (name !== undefined) {
      drafts.push({
        path: ["name"],
        at: "key",
        message: `${kind} takes no name: there is only one per file`,
        hint: `remove name; only ${CONFIG_KIND_NAMES.filter((k) => CONFIG_KINDS[k].repeatable).join(", ")} documents are named`,
      });
      delete body["name"];
    }
    if (kind === "MachineConfig") machineConfigSeen = true;

    // Duplicates are judged on the raw identity, so they are reported even when the schema fails.
    const ref = info.repeatable ? (typeof name === "string" ? `${kind}/${name}` : undefined) : kind;
    let duplicate = false;
    if (ref !== undefined) {
      const first = firstSeen.get(ref);
      if (first !== undefined) {
        duplicate = true;
        const firstLine = sourceMap.locate(first, []).line;
        drafts.push({
          path: info.repeatable ? ["name"] : ["kind"],
          message: info.repeatable
            ? `duplicate document: a second ${kind} named "${String(name)}" (the first is at line ${firstLine})`
            : `duplicate document: a second ${kind} (the first is at line ${firstLine}); at most one is allowed`,
          hint: info.repeatable
            ? "give each document its own name, or merge them"
            : `merge the two ${kind} documents into one`,
        });
      } else {
        firstSeen.set(ref, index);
      }
    }

    // `__proto__` as a key would be dropped or turned into a prototype by object copies: refuse it.
    for (const path of forbiddenKeyPaths(body)) {
      drafts.push({ path, at: "key", message: "the key __proto__ is not allowed", hint: "remove it" });
    }
    const result = info.schema.safeParse(body);
    if (!result.success) {
      drafts.push(
        ...zodIssueDrafts(result.error.issues, {
          schema: info.schema,
          value: body,
          sourceText: (path) => sourceMap.sourceText(index, path),
        }),
      );
    }
    for (const draft of drafts) issues.push(place(index, label, draft));
    if (result.success && drafts.length === 0 && !duplicate) {
      const document = result.data as ConfigDocument;
      candidates.push({ index, kind, ref: documentRef(document), label, value: document });
    }
  }

  if (nonEmpty === 0) {
    issues.push(
      fileIssue(
        file,
        "the file is empty: expected a MachineConfig document",
        "generate a machine config with `stelectl gen config`",
      ),
    );
  } else if (!machineConfigSeen && unidentified === 0) {
    issues.push(
      fileIssue(
        file,
        "no MachineConfig document: a machine config needs exactly one",
        "add a `kind: MachineConfig` document, or check that this is a machine config file",
      ),
    );
  }

  if (issues.some((issue) => issue.severity === "error")) throw new ConfigError(issues);
  const documents = candidates.map((c) => c.value);
  const machineConfig = documents.find((d): d is MachineConfig => d.kind === "MachineConfig");
  if (!machineConfig)
    throw new ConfigError([fileIssue(file, "no MachineConfig document: a machine config needs exactly one")]);
  return { file, documents, machineConfig, warnings: issues, sourceMap };
}

function fileIssue(file: string, message: string, hint?: string): ConfigIssue {
  return { severity: "error", file, document: "file", path: "", line: 1, column: 1, message, hint };
}

function yamlIssue(file: string, label: string, error: YAMLError, sourceMap: ConfigSourceMap): ConfigIssue {
  const position = sourceMap.positionOf(error.pos[0]);
  const raw = error.message.replace(/\s+at line \d+, column \d+[\s\S]*$/, "");
  // The library reports exhausting the stack on absurd nesting in its own words; say what it means.
  const tooDeep = /stack/i.test(raw);
  const message = tooDeep ? "the nesting is too deep to read" : (YAML_MESSAGES[error.code] ?? raw);
  return {
    severity: "error",
    file,
    document: label,
    path: "",
    line: position.line,
    column: position.column,
    message: `invalid YAML: ${lowerFirst(message)}`,
    hint: tooDeep
      ? "a machine config nests a few levels deep: check that this is the right file"
      : YAML_HINTS[error.code],
  };
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** Paths of every `__proto__` key in a value (iterative: the value may be deeply nested). */
function forbiddenKeyPaths(root: unknown): Array<Array<string | number>> {
  const found: Array<Array<string | number>> = [];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== "object" || value instanceof Uint8Array) continue;
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((item, i): [number, unknown] => [i, item])
      : Object.keys(value).map((key): [string, unknown] => [key, (value as Record<string, unknown>)[key]]);
    for (const [key, child] of entries) {
      if (key === "__proto__") found.push([...path, key]);
      else stack.push({ value: child, path: [...path, key] });
    }
  }
  return found;
}

/** A label for a document that failed to parse, read from what the AST has. */
function labelFromAst(doc: Document.Parsed, index: number): string | undefined {
  if (!isMap(doc.contents)) return undefined;
  const kind: unknown = doc.contents.get("kind");
  if (!isConfigKind(kind)) return undefined;
  if (!CONFIG_KINDS[kind].repeatable) return kind;
  const name = doc.contents.get("name");
  return typeof name === "string" ? `${kind}/${name}` : `${kind} (document ${index})`;
}

/** A hint for a Talos machine config, the most likely wrong file for our users. */
function talosHint(value: Record<string, unknown>): string | undefined {
  if (value["version"] === "v1alpha1" && ("machine" in value || "cluster" in value)) {
    return "this looks like a Talos machine config: Stele configs are typed documents (see docs/reference/config.md)";
  }
  return undefined;
}
