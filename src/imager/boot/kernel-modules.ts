import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { SteleError } from "../../machinery/errors.ts";
import { KmodError, moduleLoadOrder, readModuleIndex } from "../../pkg/kmod/index.ts";

const run = promisify(execFile);

/** A kernel module taken for the initramfs, uncompressed. */
export interface KernelModule {
  name: string;
  /** The `.ko` file's bytes, as finit_module(2) reads them without MODULE_INIT_COMPRESSED_FILE. */
  content: Buffer;
}

/** The modules found for a list of names: the ones to ship, in order, and the ones built in. */
export interface SelectedModules {
  modules: KernelModule[];
  builtin: string[];
}

/**
 * The modules to ship for `names` and the order to load them in, from an extracted kernel's module
 * directory (`usr/lib/modules/<release>`): src/pkg/kmod resolves each name (or alias) and everything
 * it needs, dependencies first, each once, built-in ones skipped — so a driver is never loaded before
 * what it needs (the misleading ENOENT of finit_module). A name that is neither built in nor a module
 * of this kernel fails the build, naming the chain. Debian 13 ships `.ko.xz`; Node's zlib has no xz,
 * so the host's `xz` decompresses them.
 */
export async function selectModules(modulesDir: string, names: readonly string[]): Promise<SelectedModules> {
  let plan: ReturnType<typeof moduleLoadOrder>;
  try {
    plan = moduleLoadOrder(await readModuleIndex(modulesDir), names);
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    throw new SteleError(
      error.code === "not-found" ? "failed-precondition" : "invalid-argument",
      error.message,
      error.hint ?? "Check the module names in src/imager/boot/boot-layout.ts against the kernel",
      { cause: error },
    );
  }
  const modules: KernelModule[] = [];
  for (const entry of plan.load) {
    modules.push({ name: entry.name, content: await readModule(join(modulesDir, entry.path), true) });
  }
  return { modules, builtin: plan.builtin };
}

/** A module file, found with whichever compression suffix the package uses, decompressed. */
async function readModule(path: string, exact = false): Promise<Buffer> {
  if (exact) path = path.replace(/\.(xz|zst|gz)$/, "");
  for (const suffix of ["", ".xz", ".zst", ".gz"]) {
    let raw: Buffer;
    try {
      raw = await readFile(path + suffix);
    } catch {
      continue;
    }
    if (suffix === ".zst") return zstdDecompressSync(raw);
    if (suffix === ".gz") return gunzipSync(raw);
    if (suffix === "") return raw;
    try {
      const { stdout } = await run("xz", ["-dc", "--", path + suffix], {
        encoding: "buffer",
        maxBuffer: 256 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      throw new SteleError(
        (error as NodeJS.ErrnoException).code === "ENOENT" ? "failed-precondition" : "io",
        `Cannot decompress the kernel module ${basename(path)}${suffix}: ${(error as Error).message}`,
        "Install xz-utils on the build host",
        { cause: error },
      );
    }
  }
  throw new SteleError(
    "failed-precondition",
    `Kernel module file missing: ${path} (with or without .xz, .zst, .gz)`,
    "The kernel package is incomplete: remove it from the apt cache and build again",
  );
}
