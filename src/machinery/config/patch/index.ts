/**
 * Config patches: read a patch (`parsePatch`), apply patches to a config's documents
 * (`applyPatches`). The two lower-level functions are exported for tools and tests that work on a
 * single document. See README.md for the rules users rely on.
 */
export { applyJsonPatch, type JsonPatchOptions } from "./apply-json-patch.ts";
export { applyPatches } from "./apply-patches.ts";
export type { DocumentRef } from "./document-ref.ts";
export type { JsonPatchOperation } from "./json-patch-operation.ts";
export { type ListRule, type MergeRule, mergeRules } from "./merge-rules.ts";
export { type ParsePatchOptions, parsePatch } from "./parse-patch.ts";
export type {
  ConfigDocumentValue,
  JsonPatch,
  Patch,
  PatchLocator,
  StrategicPatch,
  StrategicPatchDocument,
} from "./patch.ts";
export { type MergeContext, type PatchPathLocator, strategicMerge } from "./strategic-merge.ts";
