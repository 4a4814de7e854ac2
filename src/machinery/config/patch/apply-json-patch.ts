import { type JsonPatchOperation, toJsonPatchOperation } from "./json-patch-operation.ts";
import { parseJsonPointer } from "./json-pointer.ts";
import { cloneJson, describeValue, isPlainMap, jsonEqual, setOwn } from "./json-value.ts";
import { describeOperation, PatchFault, patchError } from "./patch-error.ts";
import type { PatchPathLocator } from "./strategic-merge.ts";

/** What `applyJsonPatch` names in its errors; all optional, as the operations stand on their own. */
export interface JsonPatchOptions {
  /** Where the patch came from (`@patch.yaml`). */
  readonly source?: string | undefined;
  /** The document the operations apply to (`MachineConfig`). */
  readonly document?: string | undefined;
  /** Turns `[operationIndex]` into `line:column` in the patch text. */
  readonly locate?: PatchPathLocator | undefined;
}

const MISSING_HINT =
  "Check the path against the document (keys are case-sensitive, ~ is written ~0 and / is ~1); " +
  "`add` creates a member but its parent must exist";

/**
 * Applies RFC 6902 JSON patch operations, in order, to a copy of `doc` and returns the copy; `doc`
 * is never mutated, and a failing operation throws before the caller sees any partial result.
 * Pointers follow RFC 6901 (`~0`, `~1`; `-` appends with `add`). Operations are checked here as
 * well as in `parsePatch`, so values built in code get the same errors. Errors are
 * SteleError("invalid-config") naming the source, the operation (counted from 1) and the document.
 */
export function applyJsonPatch(
  doc: unknown,
  operations: readonly JsonPatchOperation[],
  options: JsonPatchOptions = {},
): unknown {
  let root = cloneJson(doc);
  for (const [index, raw] of operations.entries()) {
    root = applyOperation(root, checkOperation(raw, index, options), index, options);
  }
  return root;
}

/**
 * Checks raw operation number `index` (counted from 0) and returns it typed, or throws the
 * SteleError users see. Shared with `applyPatches`, which must read an operation's `document`
 * before it can apply it.
 */
export function checkOperation(raw: unknown, index: number, options: JsonPatchOptions): JsonPatchOperation {
  return withSite(raw, index, options, () => toJsonPatchOperation(raw));
}

/**
 * Applies checked operation number `index` to `root`, which the caller owns and which may be
 * changed in place; returns the new root (an operation on "" replaces it).
 */
export function applyOperation(
  root: unknown,
  operation: JsonPatchOperation,
  index: number,
  options: JsonPatchOptions,
): unknown {
  return withSite(operation, index, options, () => run(root, operation));
}

/** Runs `step`, turning a PatchFault into the SteleError that names the source, operation and document. */
function withSite<T>(raw: unknown, index: number, options: JsonPatchOptions, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof PatchFault)) throw error;
    throw patchError(
      {
        source: options.source,
        position: options.locate?.([index]),
        operation: describeOperation(index, raw),
        document: options.document,
      },
      error.message,
      error.hint,
    );
  }
}

function run(root: unknown, operation: JsonPatchOperation): unknown {
  const tokens = parseJsonPointer(operation.path);
  switch (operation.op) {
    case "add":
      return add(root, tokens, cloneJson(operation.value));
    case "remove":
      return remove(root, tokens);
    case "replace":
      get(root, tokens, "path");
      return replace(root, tokens, cloneJson(operation.value));
    case "move": {
      const from = parseJsonPointer(operation.from);
      if (from.length < tokens.length && from.every((token, i) => token === tokens[i])) {
        throw new PatchFault(
          "cannot move a value into one of its own children",
          "Copy the value instead, or move it to a path outside the one it comes from",
        );
      }
      const value = get(root, from, "from");
      return add(remove(root, from), tokens, value);
    }
    case "copy":
      return add(root, tokens, cloneJson(get(root, parseJsonPointer(operation.from), "from")));
    case "test": {
      const actual = get(root, tokens, "path");
      if (!jsonEqual(actual, operation.value)) {
        throw new PatchFault(
          `test failed: ${operation.path || '""'} is ${describeValue(actual)}, expected ${describeValue(operation.value)}`,
          "The document is not in the state this patch was written for: check it, or drop the test operation",
        );
      }
      return root;
    }
  }
}

/** The value at `tokens`; `what` says which member the pointer came from, for the error. */
function get(root: unknown, tokens: readonly string[], what: "path" | "from"): unknown {
  let node = root;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      node = node[arrayIndex(token, node.length, false)];
    } else if (isPlainMap(node) && Object.hasOwn(node, token)) {
      node = node[token];
    } else {
      throw new PatchFault(`${what} does not exist`, MISSING_HINT);
    }
  }
  return node;
}

/** The map or list that holds the last token of `tokens`. */
function parentOf(root: unknown, tokens: readonly string[]): Record<string, unknown> | unknown[] {
  const parent = get(root, tokens.slice(0, -1), "path");
  if (Array.isArray(parent) || isPlainMap(parent)) return parent;
  throw new PatchFault("path does not exist: its parent is not a map or list", MISSING_HINT);
}

function add(root: unknown, tokens: readonly string[], value: unknown): unknown {
  const last = tokens.at(-1);
  if (last === undefined) return value;
  const parent = parentOf(root, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else setOwn(parent, last, value);
  return root;
}

/** Sets an existing member in place, so a replaced key keeps its position in the map. */
function replace(root: unknown, tokens: readonly string[], value: unknown): unknown {
  const last = tokens.at(-1);
  if (last === undefined) return value;
  const parent = parentOf(root, tokens);
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false)] = value;
  else setOwn(parent, last, value);
  return root;
}

function remove(root: unknown, tokens: readonly string[]): unknown {
  const last = tokens.at(-1);
  if (last === undefined) {
    throw new PatchFault(
      "cannot remove the whole document",
      "To remove a document, use a strategic patch of its apiVersion, kind (and name) with `$patch: delete`",
    );
  }
  const parent = parentOf(root, tokens);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, false), 1);
  } else {
    if (!Object.hasOwn(parent, last)) throw new PatchFault("path does not exist", MISSING_HINT);
    delete parent[last];
  }
  return root;
}

/**
 * Reads an array index token: digits without leading zeros, below the length (or up to it for
 * `add`, which may insert at the end); `-` is the end of the list and is valid only for `add`.
 */
function arrayIndex(token: string, length: number, forAdd: boolean): number {
  if (token === "-") {
    if (forAdd) return length;
    throw new PatchFault(
      "path does not exist: - (past the end of the list) only works with add",
      MISSING_HINT,
    );
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw new PatchFault(
      `path does not exist: ${JSON.stringify(token)} is not an index into a list`,
      MISSING_HINT,
    );
  }
  const index = Number(token);
  if (index > length || (index === length && !forAdd)) {
    throw new PatchFault(
      `path does not exist: index ${index} is out of range for a list of ${length} element${length === 1 ? "" : "s"}`,
      MISSING_HINT,
    );
  }
  return index;
}
