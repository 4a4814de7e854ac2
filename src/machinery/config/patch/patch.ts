import type { DocumentRef } from "./document-ref.ts";
import type { JsonPatchOperation } from "./json-patch-operation.ts";

/**
 * A config document as plain values: what the YAML loader parses one `---` document into. The
 * patch engine needs only the identity fields, so it works on the loader's output without
 * depending on the schema; the loader validates the result after patching.
 */
export interface ConfigDocumentValue {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}

/**
 * Turns a path inside document `documentIndex` of a patch (keys and list indices from its root)
 * into `line:column` in the patch text, for errors. JSON patches have one document; the path of
 * operation `i` is `[i]`.
 */
export type PatchLocator = (
  documentIndex: number,
  patchPath: readonly (string | number)[],
) => string | undefined;

/** One document of a strategic merge patch. */
export interface StrategicPatchDocument {
  /** The document it merges into, or adds; `MachineConfig` for the shorthand without apiVersion/kind. */
  readonly target: DocumentRef;
  /** The patch's apiVersion; undefined for the shorthand, which cannot add a document. */
  readonly apiVersion: string | undefined;
  /** The patch without apiVersion, kind and name; `{ $patch: delete }` deletes the document. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** A strategic merge patch: documents merged, in order, into the documents they name. */
export interface StrategicPatch {
  readonly form: "strategic";
  /** How the user named the patch (`@patch.yaml`, `--config-patch`); every error names it. */
  readonly source: string;
  readonly documents: readonly StrategicPatchDocument[];
  readonly locate?: PatchLocator | undefined;
}

/** An RFC 6902 JSON patch: operations applied in order, each to `MachineConfig` or its `document`. */
export interface JsonPatch {
  readonly form: "json";
  /** How the user named the patch (`@patch.yaml`, `--config-patch`); every error names it. */
  readonly source: string;
  readonly operations: readonly JsonPatchOperation[];
  readonly locate?: PatchLocator | undefined;
}

/** A parsed patch, in one of the forms `parsePatch` recognises. */
export type Patch = StrategicPatch | JsonPatch;
