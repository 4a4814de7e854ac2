import { SteleError } from "../../errors.ts";
import { applyOperation, checkOperation } from "./apply-json-patch.ts";
import {
  DEFAULT_PATCH_TARGET,
  type DocumentRef,
  documentRefOf,
  formatDocumentRef,
  hasDocumentRef,
  parseDocumentRef,
} from "./document-ref.ts";
import { cloneJson, describeValue, isPlainMap, setOwn } from "./json-value.ts";
import type {
  ConfigDocumentValue,
  JsonPatch,
  Patch,
  StrategicPatch,
  StrategicPatchDocument,
} from "./patch.ts";
import { describeOperation, type PatchSite, patchError } from "./patch-error.ts";
import { strategicMerge } from "./strategic-merge.ts";

/**
 * Applies patches, in order, to a config's documents and returns the patched documents. Pure: the
 * input documents and patches are never mutated and the result shares nothing with them, so when
 * a patch fails (a SteleError("invalid-config") naming the patch, the document, the operation and
 * the path) the caller still holds its config unchanged: patching is all or nothing.
 *
 * Strategic documents merge into the document with their identity, are added when it is absent,
 * and `$patch: delete` removes it. JSON-patch operations go to `MachineConfig` or their `document`.
 * After each patch every document must still have an apiVersion, a kind and a unique identity.
 */
export function applyPatches(
  documents: readonly ConfigDocumentValue[],
  patches: readonly Patch[],
): ConfigDocumentValue[] {
  checkIdentities(
    documents,
    (detail, hint) => new SteleError("invalid-config", `Config cannot be patched: ${detail}`, hint),
  );
  let working: unknown[] = documents.map((document) => cloneJson(document));
  for (const patch of patches) {
    working = patch.form === "json" ? applyJson(working, patch) : applyStrategic(working, patch);
    checkIdentities(working, (detail, hint) => patchError({ source: patch.source }, detail, hint));
  }
  return working as ConfigDocumentValue[];
}

function listDocuments(documents: readonly unknown[]): string {
  const refs = documents.map(documentRefOf).filter((ref) => ref !== undefined);
  return refs.length === 0 ? "none" : refs.map(formatDocumentRef).join(", ");
}

function applyStrategic(documents: unknown[], patch: StrategicPatch): unknown[] {
  const working = [...documents];
  for (const [index, patchDocument] of patch.documents.entries()) {
    const { target, body } = patchDocument;
    const site: PatchSite = {
      source: patch.source,
      position: patch.locate?.(index, []),
      document: formatDocumentRef(target),
    };
    const at = working.findIndex((document) => hasDocumentRef(document, target));
    const existing = working[at];
    if (isPlainMap(body) && body["$patch"] === "delete") {
      const extra = Object.keys(body).filter((key) => key !== "$patch");
      if (extra.length > 0) {
        throw patchError(
          site,
          `a document-level \`$patch: delete\` removes the whole document, yet the patch also sets ${extra.join(", ")}`,
          "Keep only apiVersion, kind, name and `$patch: delete` to delete the document",
        );
      }
      if (existing === undefined) {
        throw patchError(
          site,
          "patch deletes a document that is not in the config",
          `The config holds: ${listDocuments(working)}; check the kind and name, or drop the delete if it is already gone`,
        );
      }
      working.splice(at, 1);
      continue;
    }
    const context = {
      kind: target.kind,
      name: target.name,
      source: patch.source,
      locate: patch.locate && ((path: readonly (string | number)[]) => patch.locate?.(index, path)),
    };
    if (existing === undefined) {
      working.push(addDocument(patchDocument, site, strategicMerge(undefined, body, context)));
      continue;
    }
    const existingVersion = (existing as ConfigDocumentValue).apiVersion;
    if (patchDocument.apiVersion !== undefined && patchDocument.apiVersion !== existingVersion) {
      throw patchError(
        site,
        `the patch is for apiVersion ${patchDocument.apiVersion}, the document is ${existingVersion}`,
        `Write the patch for ${existingVersion}, the apiVersion of the config it patches`,
      );
    }
    working[at] = withIdentity(existingVersion, target, strategicMerge(existing, body, context));
  }
  return working;
}

function addDocument(patchDocument: StrategicPatchDocument, site: PatchSite, merged: unknown): unknown {
  if (patchDocument.apiVersion === undefined) {
    throw patchError(
      site,
      `the config has no ${formatDocumentRef(DEFAULT_PATCH_TARGET)} document to patch`,
      "To add a document, start the patch document with its apiVersion and kind",
    );
  }
  return withIdentity(patchDocument.apiVersion, patchDocument.target, merged);
}

/** The merged body with the document's identity first, as `gen config` writes documents. */
function withIdentity(apiVersion: string, ref: DocumentRef, merged: unknown): Record<string, unknown> {
  const document: Record<string, unknown> = { apiVersion, kind: ref.kind };
  if (ref.name !== undefined) document["name"] = ref.name;
  if (!isPlainMap(merged)) return document;
  for (const key of Object.keys(merged)) {
    if (key !== "apiVersion" && key !== "kind" && key !== "name") setOwn(document, key, merged[key]);
  }
  return document;
}

function applyJson(documents: unknown[], patch: JsonPatch): unknown[] {
  // The documents are the engine's own copies (see applyPatches), so operations change them in place.
  const working = [...documents];
  const locate = patch.locate && ((path: readonly (string | number)[]) => patch.locate?.(0, path));
  for (const [index, raw] of patch.operations.entries()) {
    const operation = checkOperation(raw, index, { source: patch.source, locate });
    // checkOperation has refused a `document` that does not parse.
    const target =
      operation.document === undefined ? DEFAULT_PATCH_TARGET : parseDocumentRef(operation.document)!;
    const label = formatDocumentRef(target);
    const at = working.findIndex((document) => hasDocumentRef(document, target));
    if (at < 0) {
      throw patchError(
        {
          source: patch.source,
          position: locate?.([index]),
          operation: describeOperation(index, operation),
          document: label,
        },
        `the config has no ${label} document`,
        `The config holds: ${listDocuments(working)}; name another document, or add this one with a strategic patch first`,
      );
    }
    working[at] = applyOperation(working[at], operation, index, {
      source: patch.source,
      document: label,
      locate,
    });
  }
  return working;
}

/**
 * Every document must be a map with a string apiVersion and kind, an optional string name, and
 * an identity no other document has: patches address documents by identity, so a config where
 * that is not so cannot be patched predictably, and a patch that makes it so is refused.
 */
function checkIdentities(documents: readonly unknown[], fail: (detail: string, hint: string) => Error): void {
  const seen = new Set<string>();
  for (const [index, document] of documents.entries()) {
    const ref = documentRefOf(document);
    if (ref === undefined || !isPlainMap(document) || typeof document["apiVersion"] !== "string") {
      throw fail(
        `document ${index + 1} (${describeValue(document)}) needs a string apiVersion and kind, and a string name if any`,
        "Every config document starts with apiVersion and kind; a JSON patch must not remove or retype them",
      );
    }
    const label = formatDocumentRef(ref);
    if (seen.has(label)) {
      throw fail(
        `there are two ${label} documents`,
        "Each kind appears once, or once per name: give the documents different names",
      );
    }
    seen.add(label);
  }
}
