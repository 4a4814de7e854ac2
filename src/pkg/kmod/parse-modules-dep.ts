import { KmodError } from "./kmod-error.ts";
import { type ModuleCompression, parseModulePath } from "./module-name.ts";

/** One loadable module of a kernel, from its line in modules.dep. */
export interface ModuleEntry {
  /** The module's name, normalised (`_`, never `-`). */
  name: string;
  /** The file, relative to `/lib/modules/<release>`, as modules.dep lists it. */
  path: string;
  compression: ModuleCompression;
  /**
   * Names of every module it needs, direct or not, in modules.dep's order: depmod lists them so
   * that loading them last to first works, which is what modprobe does.
   */
  dependencies: readonly string[];
}

const HINT =
  "modules.dep is written by depmod: regenerate it with `depmod -b ROOT RELEASE`, or fetch the kernel package again";

/**
 * Parses a kernel's modules.dep (`path: dependency-path …`, one module a line) into its modules by
 * name. The format is depmod's; a line that is not a module path followed by a colon, or a module
 * listed twice, is an error naming the line, since a load order computed from a damaged index would
 * fail at boot with a far less helpful ENOENT.
 */
export function parseModulesDep(text: string): Map<string, ModuleEntry> {
  const modules = new Map<string, ModuleEntry>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    const path = colon === -1 ? line : line.slice(0, colon).trim();
    const parsed = parseModulePath(path);
    if (colon === -1 || parsed === undefined || /\s/.test(path)) {
      throw new KmodError(
        "invalid-argument",
        `Invalid modules.dep line ${i + 1}: ${JSON.stringify(line)}`,
        HINT,
      );
    }
    const dependencies = line
      .slice(colon + 1)
      .split(/\s+/)
      .filter((word) => word !== "")
      .map((word) => {
        const dependency = parseModulePath(word);
        if (dependency === undefined) {
          throw new KmodError(
            "invalid-argument",
            `Invalid modules.dep line ${i + 1}: ${JSON.stringify(word)} is not a module file`,
            HINT,
          );
        }
        return dependency.name;
      });
    const known = modules.get(parsed.name);
    if (known !== undefined) {
      throw new KmodError(
        "invalid-argument",
        `Invalid modules.dep line ${i + 1}: module ${parsed.name} is listed twice (${known.path} and ${path})`,
        HINT,
      );
    }
    modules.set(parsed.name, { name: parsed.name, path, compression: parsed.compression, dependencies });
  }
  return modules;
}
