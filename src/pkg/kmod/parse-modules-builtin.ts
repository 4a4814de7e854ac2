import { parseModulePath } from "./module-name.ts";

/**
 * The names of the modules built into a kernel, from its modules.builtin (one `kernel/…/x.ko` path
 * a line). A wanted module that is built in needs no loading: asking for it is not an error, since
 * which drivers are modules is the kernel packager's choice and changes between releases.
 */
export function parseModulesBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const parsed = parseModulePath(line.trim());
    if (parsed !== undefined) names.add(parsed.name);
  }
  return names;
}
