import { basename, join } from "node:path";

/** The file name of the bundled userland (`esbuild src/main.ts`), as the image ships it. */
export const BUNDLE_FILE = "stele.mjs";

/**
 * The command line that starts one of Stele's programs from the code this process runs: from the
 * bundle when this process was started from it (`stele.mjs machined` → `stele.mjs apid`), else
 * from the sources (`src/app/apid/main.ts`). So a node started from the bundle runs every daemon from
 * it, and tests of the sources test the sources.
 */
export function programCommand(program: "machined" | "apid" | "trustd", sourceRoot: string): string[] {
  const self = process.argv[1] ?? "";
  if (basename(self) === BUNDLE_FILE) return [self, program];
  return [join(sourceRoot, "app", program, "main.ts")];
}
