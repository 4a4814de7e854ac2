import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { SteleError } from "../../machinery/errors.ts";

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
 * Takes `names` (in order) from an extracted kernel's module directory
 * (`usr/lib/modules/<release>`): a name in modules.builtin is skipped (nothing to load), one in
 * modules.order is read and decompressed (Debian 13 ships `.ko.xz`; Node's zlib has no xz, so the
 * host's `xz` does it), and one in neither is an error. Names compare with `-` and `_` alike, as
 * the kernel does.
 */
export async function selectModules(modulesDir: string, names: readonly string[]): Promise<SelectedModules> {
  const key = (name: string) => name.replaceAll("-", "_");
  const moduleName = (path: string) => key(basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, ""));
  const builtin = new Set((await readLines(join(modulesDir, "modules.builtin"))).map(moduleName));
  const files = new Map(
    (await readLines(join(modulesDir, "modules.order"))).map((path) => [moduleName(path), path]),
  );
  const selected: SelectedModules = { modules: [], builtin: [] };
  for (const name of names) {
    if (builtin.has(key(name))) {
      selected.builtin.push(name);
      continue;
    }
    const path = files.get(key(name));
    if (path === undefined) {
      throw new SteleError(
        "failed-precondition",
        `Kernel module not found: ${name} is neither built in nor a module of this kernel`,
        "Check the module's name in src/imager/boot/boot-layout.ts against the kernel's modules.order",
      );
    }
    selected.modules.push({ name, content: await readModule(join(modulesDir, path)) });
  }
  return selected;
}

/** A module file, found with whichever compression suffix the package uses, decompressed. */
async function readModule(path: string): Promise<Buffer> {
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

async function readLines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").filter((line) => line.trim() !== "");
}
