import type { ModuleEntry } from "./parse-modules-dep.ts";

/**
 * Writes modules in depmod's modules.dep format (`path: dependency-path …`, sorted by path), so an
 * index computed by scanModules can be shipped or compared with one depmod wrote. Dependencies
 * without an entry of their own are left out, as depmod leaves out what it cannot find.
 */
export function formatModulesDep(modules: ReadonlyMap<string, ModuleEntry>): string {
  return [...modules.values()]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => {
      const paths = entry.dependencies.flatMap((name) => {
        const dependency = modules.get(name);
        return dependency === undefined ? [] : [dependency.path];
      });
      return `${entry.path}:${paths.map((path) => ` ${path}`).join("")}\n`;
    })
    .join("");
}
