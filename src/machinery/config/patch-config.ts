import { type ParsedConfig, parseConfig } from "./parse-config.ts";
import { applyPatches } from "./patch/apply-patches.ts";
import type { ConfigDocumentValue, Patch } from "./patch/patch.ts";
import { serializeConfig } from "./serialize-config.ts";

/**
 * Applies patches to a loaded config and loads the result again, so a patch can never produce a
 * config the loader would refuse: patch, then validate, all or nothing. Errors in the result point
 * into the patched text (labelled `FILE (patched)`), which `stelectl machineconfig patch` prints.
 */
export function patchConfig(config: ParsedConfig, patches: readonly Patch[]): ParsedConfig {
  if (patches.length === 0) return config;
  const patched = applyPatches(config.documents as unknown as ConfigDocumentValue[], patches);
  const text = serializeConfig(patched as unknown as Parameters<typeof serializeConfig>[0]);
  return parseConfig(text, { file: `${config.file} (patched)` });
}
