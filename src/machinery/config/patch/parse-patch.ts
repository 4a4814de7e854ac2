import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import { isSteleError } from "../../errors.ts";
import { DEFAULT_PATCH_TARGET, type DocumentRef, parseDocumentRef } from "./document-ref.ts";
import { type JsonPatchOperation, toJsonPatchOperation } from "./json-patch-operation.ts";
import { describeValue, isPlainMap, setOwn } from "./json-value.ts";
import type { Patch, PatchLocator, StrategicPatchDocument } from "./patch.ts";
import { describeOperation, PatchFault, patchError } from "./patch-error.ts";

/** Options of `parsePatch`. */
export interface ParsePatchOptions {
  /** How the user named the patch (`@patch.yaml`, `--config-patch`); every error names it. */
  readonly source: string;
}

const YAML_HINT = "Fix the patch's syntax: it is YAML (JSON is YAML too)";
const FORM_HINT =
  "A strategic merge patch is one or more YAML maps (with apiVersion and kind to pick a document other than " +
  "MachineConfig); a JSON patch is one list of RFC 6902 operations";
/** Aliases may expand; this bounds how far, so a tiny patch cannot expand into gigabytes. */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads a patch file (or inline text) and recognises its form: one YAML/JSON list is an RFC 6902
 * JSON patch; YAML maps are strategic merge patches, each aimed at the document its apiVersion,
 * kind and name identify, or at `MachineConfig` when it has neither apiVersion nor kind. Every
 * JSON-patch operation and pointer is checked here, so a malformed patch fails before anything is
 * applied. Errors are SteleError("invalid-config") naming `source` and the line:column.
 */
export function parsePatch(text: string, options: ParsePatchOptions): Patch {
  const { source } = options;
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  };
  const values: Array<{ document: Document.Parsed; value: unknown }> = [];
  try {
    for (const document of parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false })) {
      const error = document.errors[0];
      if (error)
        throw patchError({ source, position: at(error.pos[0]) }, `invalid YAML: ${error.message}`, YAML_HINT);
      const value: unknown = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      if (value !== null && value !== undefined) values.push({ document, value });
    }
  } catch (error) {
    if (isSteleError(error)) throw error;
    // The parser throws on pathological input (alias bombs, nesting too deep for the stack).
    throw patchError(
      { source },
      `invalid YAML: ${error instanceof Error ? error.message : String(error)}`,
      YAML_HINT,
    );
  }
  const locate: PatchLocator = (index, patchPath) => {
    const document = values[index]?.document;
    const offset = document === undefined ? undefined : offsetOf(document, patchPath);
    return offset === undefined ? undefined : at(offset);
  };
  const first = values[0];
  if (first === undefined) throw patchError({ source }, "the patch is empty", FORM_HINT);
  if (values.some(({ value }) => Array.isArray(value))) {
    if (values.length > 1) {
      throw patchError(
        { source, position: locate(1, []) },
        `a JSON patch must be the only document of its patch, this one has ${values.length}`,
        "Put the JSON patch in a patch of its own, or write the other documents as strategic merge patches",
      );
    }
    return {
      form: "json",
      source,
      operations: toOperations(first.value as unknown[], source, locate),
      locate,
    };
  }
  const documents = values.map(({ value }, index) => {
    try {
      return toStrategicDocument(value);
    } catch (error) {
      if (!(error instanceof PatchFault)) throw error;
      throw patchError(
        { source, position: locate(index, error.patchPath), document: `document ${index + 1}` },
        error.message,
        error.hint,
      );
    }
  });
  return { form: "strategic", source, documents, locate };
}

function toOperations(list: unknown[], source: string, locate: PatchLocator): JsonPatchOperation[] {
  return list.map((raw, index) => {
    try {
      return toJsonPatchOperation(raw);
    } catch (error) {
      if (!(error instanceof PatchFault)) throw error;
      throw patchError(
        { source, position: locate(0, [index]), operation: describeOperation(index, raw) },
        error.message,
        error.hint,
      );
    }
  });
}

const IDENTITY_HINT =
  "Start a patch document with apiVersion and kind (and name for named documents), or leave out both " +
  "to patch MachineConfig";

function toStrategicDocument(value: unknown): StrategicPatchDocument {
  if (!isPlainMap(value)) throw new PatchFault(`expected a map, got ${describeValue(value)}`, FORM_HINT);
  const apiVersion = Object.hasOwn(value, "apiVersion") ? value["apiVersion"] : undefined;
  const kind = Object.hasOwn(value, "kind") ? value["kind"] : undefined;
  if (apiVersion === undefined && kind === undefined) {
    if (Object.hasOwn(value, "name")) {
      throw new PatchFault("a patch document with a name needs an apiVersion and a kind", IDENTITY_HINT, {
        patchPath: ["name"],
      });
    }
    return { target: DEFAULT_PATCH_TARGET, apiVersion: undefined, body: value };
  }
  if (typeof apiVersion !== "string" || apiVersion === "") {
    throw new PatchFault("a patch document with a kind needs an apiVersion", IDENTITY_HINT, {
      patchPath: ["kind"],
    });
  }
  if (typeof kind !== "string" || kind.includes("/") || parseDocumentRef(kind) === undefined) {
    throw new PatchFault(
      kind === undefined
        ? "a patch document with an apiVersion needs a kind"
        : `invalid kind ${describeValue(kind)}`,
      IDENTITY_HINT,
      { patchPath: kind === undefined ? ["apiVersion"] : ["kind"] },
    );
  }
  const name = Object.hasOwn(value, "name") ? value["name"] : undefined;
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new PatchFault(`invalid name ${describeValue(name)}: a name is a non-empty string`, IDENTITY_HINT, {
      patchPath: ["name"],
    });
  }
  const target: DocumentRef = name === undefined ? { kind } : { kind, name };
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key !== "apiVersion" && key !== "kind" && key !== "name") setOwn(body, key, value[key]);
  }
  return { target, apiVersion, body };
}

/** The offset in the text of the deepest node on `patchPath`: a map key, a list item, or the document. */
function offsetOf(document: Document.Parsed, patchPath: readonly (string | number)[]): number | undefined {
  let node: unknown = document.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of patchPath) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
