import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { finitModule } from "../../pkg/linux/index.ts";

/** How one module load went: loaded now, or already there (built in or loaded before). */
export type ModuleLoad = "loaded" | "already-loaded";

/** Loads one `.ko` file into the kernel; throws the system call's error otherwise. */
export type ModuleLoader = (path: string) => ModuleLoad;

/** The real loader: finit_module(2) on the open file; EEXIST means it is already loaded, which is fine. */
export const finitModuleLoader: ModuleLoader = (path) => {
  const fd = openSync(path, "r");
  try {
    finitModule(fd);
    return "loaded";
  } catch (error) {
    if ((error as { errnoName?: unknown }).errnoName === "EEXIST") return "already-loaded";
    throw error;
  } finally {
    closeSync(fd);
  }
};

/**
 * Loads `names` from `dir` (`<dir>/<name>.ko`) strictly in the given order, since the kernel refuses
 * a module whose dependencies are missing (with a misleading ENOENT). Stops at the first failure,
 * with the module's name in the error. Returns how many were loaded now.
 */
export function loadModules(
  dir: string,
  names: readonly string[],
  load: ModuleLoader = finitModuleLoader,
): { loaded: number; alreadyLoaded: number } {
  let loaded = 0;
  let alreadyLoaded = 0;
  for (const name of names) {
    let result: ModuleLoad;
    try {
      result = load(join(dir, `${name}.ko`));
    } catch (error) {
      throw new Error(`Cannot load kernel module ${name}: ${(error as Error).message}`, { cause: error });
    }
    if (result === "loaded") loaded++;
    else alreadyLoaded++;
  }
  return { loaded, alreadyLoaded };
}

/** The module names of a load-order file: one per line, blank lines and `#` comments ignored. */
export function parseModuleOrder(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}
