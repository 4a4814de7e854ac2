import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ModuleAlias, parseModulesAlias } from "./parse-modules-alias.ts";
import { parseModulesBuiltin } from "./parse-modules-builtin.ts";
import { type ModuleEntry, parseModulesDep } from "./parse-modules-dep.ts";
import { scanModules } from "./scan-modules.ts";

/** What a kernel's module directory says about its modules: the input of moduleLoadOrder. */
export interface ModuleIndex {
  /** Loadable modules by name (modules.dep). */
  modules: ReadonlyMap<string, ModuleEntry>;
  /** Names of the modules built into the kernel (modules.builtin). */
  builtin: ReadonlySet<string>;
  /** Alias patterns, in file order (modules.alias). */
  aliases: readonly ModuleAlias[];
}

/**
 * Reads the module index of a kernel from its `/lib/modules/<release>` directory. modules.dep and
 * modules.alias when depmod wrote them; otherwise, as in a kernel package straight from Debian
 * (whose postinst runs depmod on the installed system), the same facts from the module files
 * themselves (scanModules). modules.builtin, which the package does ship, is optional: a kernel
 * with no built-in modules or a hand-made test tree need not have it. Only the text files: the
 * `.bin` variants are kmod's private cache of the same content.
 */
export async function readModuleIndex(dir: string): Promise<ModuleIndex> {
  const [dep, builtin, alias] = await Promise.all(
    ["modules.dep", "modules.builtin", "modules.alias"].map((file) => readOptional(join(dir, file))),
  );
  if (dep !== undefined) {
    return {
      modules: parseModulesDep(dep),
      builtin: parseModulesBuiltin(builtin ?? ""),
      aliases: parseModulesAlias(alias ?? ""),
    };
  }
  const scanned = await scanModules(dir);
  return {
    modules: scanned.modules,
    builtin: parseModulesBuiltin(builtin ?? ""),
    aliases: alias === undefined ? scanned.aliases : parseModulesAlias(alias),
  };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
