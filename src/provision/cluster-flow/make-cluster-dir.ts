import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SteleError } from "../../machinery/errors.ts";

/**
 * Makes a cluster dir (0700) and its parent state dir. The dir itself is made without
 * `recursive`, so it fails when it exists: of two creates of one name, the second stops here
 * instead of writing into the first one's cluster.
 */
export function makeClusterDir(dir: string): void {
  mkdirSync(join(dir, ".."), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    throw new SteleError(
      "io",
      `Cannot create the cluster dir ${dir}: ${(error as Error).message}`,
      undefined,
      { cause: error },
    );
  }
}
