import { formatDocumentRef } from "./document-ref.ts";
import { cloneJson, describeValue, isPlainMap, jsonEqual, setOwn } from "./json-value.ts";
import { LIST_ELEMENT, type ListRule, listRuleFor, type RuleSegment } from "./merge-rules.ts";
import { PatchFault, patchError } from "./patch-error.ts";

/** Says where in the patch text a fault is (`line:column`), given its path from the patch document's root. */
export type PatchPathLocator = (patchPath: readonly (string | number)[]) => string | undefined;

/** What a strategic merge needs besides the two values: which rules apply and what to name in errors. */
export interface MergeContext {
  /** The kind of the document being patched: it selects the list rules of `mergeRules`. */
  readonly kind: string;
  /** The document's name, for kinds that have several documents; named in errors. */
  readonly name?: string | undefined;
  /** Where the patch came from (`@patch.yaml`); named in errors. */
  readonly source?: string | undefined;
  /** Turns a path inside the patch into `line:column` for errors; patches parsed from text have one. */
  readonly locate?: PatchPathLocator | undefined;
}

/** The key that carries merge directives (`delete`, `replace`) inside a patch, as in Kubernetes. */
const DIRECTIVE = "$patch";

const REPLACE: ListRule = { type: "replace" };

const DIRECTIVE_HINT =
  "Use `$patch: delete` to remove a key or keyed list element, or `$patch: replace` to replace a map or list " +
  "instead of merging into it";

/** Where the merge is: the rule path (for `listRuleFor`), the readable path and the path in the patch. */
interface Walk {
  readonly rule: readonly RuleSegment[];
  readonly shown: string;
  readonly patchPath: readonly (string | number)[];
}

const ROOT: Walk = { rule: [], shown: "", patchPath: [] };

/**
 * Merges a strategic merge patch into a value and returns the result; neither input is mutated
 * and the result shares no map or list with them. Maps merge key by key, scalars replace, lists
 * follow their rule in `mergeRules` (merge by key, append-unique, or replace), and the
 * `$patch: delete | replace` directives remove or replace. Every fault, such as a `null` value or
 * a delete of a missing key, is a SteleError("invalid-config") that names the source, the document
 * and the path, so a failed patch is found without reading the engine.
 */
export function strategicMerge(target: unknown, patch: unknown, ruleContext: MergeContext): unknown {
  try {
    return mergeValue(cloneJson(target), patch, ROOT, ruleContext.kind);
  } catch (error) {
    if (!(error instanceof PatchFault)) throw error;
    throw patchError(
      {
        source: ruleContext.source,
        position: ruleContext.locate?.(error.patchPath),
        document: formatDocumentRef(ruleContext),
        path: error.path,
      },
      error.message,
      error.hint,
    );
  }
}

function fault(walk: Walk, detail: string, hint: string): PatchFault {
  return new PatchFault(detail, hint, { patchPath: walk.patchPath, path: walk.shown || undefined });
}

function keyWalk(walk: Walk, key: string): Walk {
  return {
    rule: [...walk.rule, key],
    shown: walk.shown === "" ? key : `${walk.shown}.${key}`,
    patchPath: [...walk.patchPath, key],
  };
}

function elementWalk(walk: Walk, label: string, patchIndex: number): Walk {
  return {
    rule: [...walk.rule, LIST_ELEMENT],
    shown: `${walk.shown}[${label}]`,
    patchPath: [...walk.patchPath, patchIndex],
  };
}

/** `target` is owned by the merge (a copy), so it may be changed in place. */
function mergeValue(target: unknown, patch: unknown, walk: Walk, kind: string): unknown {
  if (patch === null || patch === undefined) {
    const key = walk.rule.at(-1);
    throw fault(
      walk,
      "null is not a patch value: use `$patch: delete` to remove a key",
      typeof key === "string"
        ? `To remove ${key}, write \`${key}: { $patch: delete }\`; to keep it, give it a value`
        : "Give the list element a value, or remove it from the patch",
    );
  }
  if (Array.isArray(patch)) return mergeList(Array.isArray(target) ? target : [], patch, walk, kind);
  if (isPlainMap(patch)) return mergeMap(isPlainMap(target) ? target : undefined, patch, walk, kind);
  return patch;
}

function directiveOf(map: Record<string, unknown>, walk: Walk): "delete" | "replace" | undefined {
  if (!Object.hasOwn(map, DIRECTIVE)) return undefined;
  const value = map[DIRECTIVE];
  if (value === "delete" || value === "replace") return value;
  throw fault(keyWalk(walk, DIRECTIVE), `unknown directive $patch: ${describeValue(value)}`, DIRECTIVE_HINT);
}

function otherKeys(map: Record<string, unknown>, keep: string[]): string[] {
  return Object.keys(map).filter((key) => key !== DIRECTIVE && !keep.includes(key));
}

function mergeMap(
  target: Record<string, unknown> | undefined,
  patch: Record<string, unknown>,
  walk: Walk,
  kind: string,
): Record<string, unknown> {
  const directive = directiveOf(patch, walk);
  if (directive === "delete") {
    throw walk.rule.length === 0
      ? fault(
          walk,
          "`$patch: delete` cannot delete the root of a document",
          "To remove a whole document, give its apiVersion, kind (and name) with `$patch: delete` and nothing else",
        )
      : fault(
          walk,
          "`$patch: delete` can only remove an element of a list merged by key",
          "Give the whole list with a `- $patch: replace` element, or remove the element with a JSON patch",
        );
  }
  const result: Record<string, unknown> = directive === "replace" || target === undefined ? {} : target;
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (key === DIRECTIVE || value === undefined) continue;
    const at = keyWalk(walk, key);
    if (isPlainMap(value) && directiveOf(value, at) === "delete") {
      const extra = otherKeys(value, []);
      if (extra.length > 0) {
        throw fault(
          at,
          `\`$patch: delete\` removes the whole key, yet the patch also sets ${extra.join(", ")} in it`,
          "Drop the other keys to delete, or drop `$patch: delete` to merge them",
        );
      }
      if (!Object.hasOwn(result, key)) {
        throw fault(
          at,
          "patch targets a missing path",
          `The document has no ${at.shown} to delete: check the spelling, or drop the \`$patch: delete\` if it is already gone`,
        );
      }
      delete result[key];
      continue;
    }
    setOwn(result, key, mergeValue(Object.hasOwn(result, key) ? result[key] : undefined, value, at, kind));
  }
  return result;
}

/** A list element that is exactly `{ $patch: replace }`: the list replaces whatever its rule is. */
function isReplaceMarker(element: unknown): boolean {
  return isPlainMap(element) && element[DIRECTIVE] === "replace" && Object.keys(element).length === 1;
}

function mergeList(target: unknown[], patch: unknown[], walk: Walk, kind: string): unknown[] {
  const hasMarker = patch.some(isReplaceMarker);
  const entries = patch
    .map((value, index) => ({ value, index }))
    .filter((entry) => !hasMarker || !isReplaceMarker(entry.value));
  const rule = hasMarker ? REPLACE : listRuleFor(kind, walk.rule);
  switch (rule.type) {
    case "replace":
      return entries.map(({ value, index }) =>
        mergeValue(undefined, value, elementWalk(walk, String(index), index), kind),
      );
    case "append-unique": {
      const result = [...target];
      for (const { value, index } of entries) {
        const item = mergeValue(undefined, value, elementWalk(walk, String(index), index), kind);
        if (!result.some((existing) => jsonEqual(existing, item))) result.push(item);
      }
      return result;
    }
    case "merge-by-key":
      return mergeByKey(target, entries, rule.key, walk, kind);
  }
}

function mergeByKey(
  target: unknown[],
  entries: Array<{ value: unknown; index: number }>,
  key: string,
  walk: Walk,
  kind: string,
): unknown[] {
  let result = [...target];
  const keyHint = `Each element of ${walk.shown} is matched on its ${key}: give every element a ${key}`;
  for (const { value, index } of entries) {
    const position = elementWalk(walk, String(index), index);
    if (!isPlainMap(value)) {
      throw fault(
        position,
        `a list merged by ${key} needs map elements, got ${describeValue(value)}`,
        keyHint,
      );
    }
    const id = Object.hasOwn(value, key) ? value[key] : undefined;
    if (typeof id !== "string" && typeof id !== "number" && typeof id !== "boolean") {
      throw fault(
        position,
        id === undefined ? `list element has no ${key}` : `list element's ${key} must be a string or number`,
        keyHint,
      );
    }
    const at = elementWalk(walk, `${key}=${typeof id === "string" ? id : describeValue(id)}`, index);
    const matches = (element: unknown) =>
      isPlainMap(element) && Object.hasOwn(element, key) && jsonEqual(element[key], id);
    if (directiveOf(value, at) === "delete") {
      const extra = otherKeys(value, [key]);
      if (extra.length > 0) {
        throw fault(
          at,
          `\`$patch: delete\` removes the whole element, yet the patch also sets ${extra.join(", ")} in it`,
          `Keep only ${key} and \`$patch: delete\` to delete, or drop \`$patch: delete\` to merge`,
        );
      }
      if (!result.some(matches)) {
        throw fault(
          at,
          "patch targets a missing path",
          `${walk.shown} has no element with ${key} ${describeValue(id)}: check the value, or drop the delete if it is already gone`,
        );
      }
      result = result.filter((element) => !matches(element));
    } else if (result.some(matches)) {
      result = result.map((element) => (matches(element) ? mergeValue(element, value, at, kind) : element));
    } else {
      result.push(mergeValue(undefined, value, at, kind));
    }
  }
  return result;
}
