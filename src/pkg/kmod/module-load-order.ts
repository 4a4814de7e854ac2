import { KmodError } from "./kmod-error.ts";
import { normalizeModuleName } from "./module-name.ts";
import { matchesAliasPattern } from "./parse-modules-alias.ts";
import type { ModuleEntry } from "./parse-modules-dep.ts";
import type { ModuleIndex } from "./read-module-index.ts";

/** What to do to have a set of modules: the result of moduleLoadOrder. */
export interface ModuleLoadPlan {
  /** The module files to load, in this order: each after every module it needs, each once. */
  load: ModuleEntry[];
  /** Wanted names (after alias resolution) that are built into the kernel: nothing to load. */
  builtin: string[];
}

/**
 * Computes the order in which to load `wanted` modules (names, with `-` or `_`, or aliases such as
 * `virtio:d00000002v00001AF4` or `fs-squashfs`) and everything they need, the way modprobe
 * would: dependencies first, each module once, built-in modules skipped. The order is stable:
 * wanted names in the order given, and each module's dependencies in modules.dep's
 * load-last-first order, so the same inputs always give the same plan (and the same image).
 * A module that is neither in modules.dep nor built in, or a dependency cycle, is a KmodError
 * naming the whole chain: the init gets this list at build time, not an ENOENT at boot.
 */
export function moduleLoadOrder(index: ModuleIndex, wanted: readonly string[]): ModuleLoadPlan {
  const load: ModuleEntry[] = [];
  const builtin: string[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];

  const visit = (name: string, chain: readonly string[]): void => {
    if (done.has(name)) return;
    const entry = index.modules.get(name);
    if (entry === undefined) {
      if (index.builtin.has(name)) {
        done.add(name);
        return;
      }
      throw new KmodError(
        "not-found",
        `Kernel module not found: ${[...chain, name].join(" → ")}`,
        chain.length === 1 && !index.modules.has(chain[0]!)
          ? `modules.alias maps ${chain[0]} to ${name}, which modules.dep does not list: regenerate the index with depmod`
          : `modules.dep names ${name} as a dependency of ${chain.at(-1)} without a line of its own: regenerate it with depmod`,
      );
    }
    const at = visiting.indexOf(name);
    if (at !== -1) {
      throw new KmodError(
        "invalid-argument",
        `Kernel module dependency cycle: ${[...visiting.slice(at), name].join(" → ")}`,
        "depmod never writes a cycle: regenerate modules.dep with depmod, or fix the hand-written one",
      );
    }
    visiting.push(name);
    const next = [...chain, name];
    for (let i = entry.dependencies.length - 1; i >= 0; i--) visit(entry.dependencies[i]!, next);
    visiting.pop();
    done.add(name);
    load.push(entry);
  };

  for (const request of wanted) {
    for (const name of resolve(index, request)) {
      if (index.builtin.has(name) && !index.modules.has(name)) {
        if (!builtin.includes(name)) builtin.push(name);
        continue;
      }
      // Through an alias, the alias heads the chain an error names.
      visit(name, normalizeModuleName(request) === name ? [] : [request]);
    }
  }
  return { load, builtin };
}

/** The module names a wanted name stands for: itself when it is a module, else every alias match. */
function resolve(index: ModuleIndex, request: string): string[] {
  const name = normalizeModuleName(request);
  if (index.modules.has(name) || index.builtin.has(name)) return [name];
  const matches: string[] = [];
  for (const alias of index.aliases) {
    if (!matches.includes(alias.module) && matchesAliasPattern(alias.pattern, request)) {
      matches.push(alias.module);
    }
  }
  if (matches.length === 0) {
    throw new KmodError(
      "not-found",
      `Kernel module not found: ${request}`,
      "Check the name against the kernel's modules.dep, modules.builtin and modules.alias (the kernel package may build it differently)",
    );
  }
  return matches;
}
