/**
 * Writes the machine config reference and its JSON Schemas from the zod schemas in
 * src/machinery/config/schema: docs/reference/config.md and docs/reference/schema/<Kind>.json, plus
 * config.json that accepts any document. The schemas are the single source of truth, so these files
 * are generated, never edited, and `npm run gen:check` fails when they are stale.
 *
 * Usage: node scripts/gen-config-reference.ts [output directory, default docs/reference]
 *
 * The schema directory is owned by this generator: files of kinds that no longer exist are removed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderConfigReference } from "../src/machinery/config/config-reference.ts";
import { CONFIG_KIND_NAMES, configJsonSchema } from "../src/machinery/config/index.ts";

const root = resolve(import.meta.dirname, "..");
const outDir = resolve(root, process.argv[2] ?? "docs/reference");
const schemaDir = join(outDir, "schema");

mkdirSync(schemaDir, { recursive: true });
const files = new Map<string, string>();
for (const kind of CONFIG_KIND_NAMES)
  files.set(`${kind}.json`, `${JSON.stringify(configJsonSchema(kind), null, 2)}\n`);
files.set("config.json", `${JSON.stringify(configJsonSchema(), null, 2)}\n`);

for (const name of readdirSync(schemaDir)) {
  if (name.endsWith(".json") && !files.has(name)) rmSync(join(schemaDir, name));
}
for (const [name, text] of files) writeFileSync(join(schemaDir, name), text);
writeFileSync(join(outDir, "config.md"), renderConfigReference());
