/**
 * Kernel modules for the stage-1 init and the image builder: the kernel's module index
 * (modules.dep, modules.builtin, modules.alias, or the module files' own `.modinfo` where depmod has
 * not run) and the order to load a set of modules in, computed at build time so the init only
 * walks a list. Loading itself (finit_module) is src/pkg/linux's.
 */
export { formatModulesDep } from "./format-modules-dep.ts";
export { KmodError, type KmodErrorCode } from "./kmod-error.ts";
export { type ModuleLoadPlan, moduleLoadOrder } from "./module-load-order.ts";
export { type ModuleCompression, normalizeModuleName, parseModulePath } from "./module-name.ts";
export { parseModinfo } from "./parse-modinfo.ts";
export { type ModuleAlias, matchesAliasPattern, parseModulesAlias } from "./parse-modules-alias.ts";
export { parseModulesBuiltin } from "./parse-modules-builtin.ts";
export { type ModuleEntry, parseModulesDep } from "./parse-modules-dep.ts";
export { type ModuleIndex, readModuleIndex } from "./read-module-index.ts";
export { type ScannedModules, scanModules } from "./scan-modules.ts";
