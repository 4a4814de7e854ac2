import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** The directories whose code decides the images' bytes, relative to the repository root. */
export const BUILDER_SOURCE_DIRS = [
  "src/imager",
  "src/pkg/archive",
  "src/pkg/debian",
  "src/pkg/elf",
  "src/pkg/oci",
];

/**
 * One hash over the builder's own sources (tests excluded): a change of layout or writer code
 * rebuilds the images even when no package, Node.js or bundle changed.
 */
export async function builderFingerprint(repoRoot: string): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of BUILDER_SOURCE_DIRS) {
    const files = (await readdir(join(repoRoot, dir)))
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
      .sort();
    for (const file of files) {
      hash.update(`${dir}/${file}\0`);
      hash.update(await readFile(join(repoRoot, dir, file)));
      hash.update("\0");
    }
  }
  return hash.digest("hex");
}
