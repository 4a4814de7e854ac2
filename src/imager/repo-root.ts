import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SteleError } from "../machinery/errors.ts";

/**
 * The Stele repository this code runs from (the nearest directory upwards with Stele's
 * package.json): the imager needs its scripts/build.sh, its node_modules (Node.js, the bundle's
 * externals) and its sources. Works from src/imager and from the bundle in dist/.
 */
export function findRepoRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && existsSync(join(dir, "scripts", "build.sh"))) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "stele") return dir;
      } catch {
        // Not ours; keep looking upwards.
      }
    }
    if (dirname(dir) === dir) {
      throw new SteleError(
        "failed-precondition",
        `Stele repository not found above ${from}`,
        "Node images are built from a checkout of the Stele repository: run this from one",
      );
    }
  }
}
