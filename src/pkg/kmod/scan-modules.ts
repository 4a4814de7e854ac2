import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { KmodError } from "./kmod-error.ts";
import { type ModuleCompression, normalizeModuleName, parseModulePath } from "./module-name.ts";
import { parseModinfo } from "./parse-modinfo.ts";
import type { ModuleAlias } from "./parse-modules-alias.ts";
import type { ModuleEntry } from "./parse-modules-dep.ts";

/** Loadable modules and their aliases, read from the module files themselves. */
export interface ScannedModules {
  modules: Map<string, ModuleEntry>;
  aliases: ModuleAlias[];
}

/**
 * Reads every module file under a kernel's `/lib/modules/<release>` directory and returns what
 * depmod would write to modules.dep and modules.alias: each module's dependencies (transitive, in
 * load-last-first order, as modules.dep lists them) from the `depends=` of its `.modinfo`, and its
 * `alias=` patterns. Needed because a kernel package does not ship modules.dep (Debian's postinst
 * runs depmod on the installed system), and the image builder has neither an installed kernel nor
 * kmod. xz-compressed modules (Debian's) are decompressed with the host's `xz`, since Node has no
 * xz decoder; gzip and zstd with node:zlib. Files are visited in sorted order, so the result is the
 * same on every host.
 */
export async function scanModules(releaseDir: string): Promise<ScannedModules> {
  const files = (await listModuleFiles(releaseDir)).sort();
  const elves = await decompressAll(releaseDir, files);
  const infos = files.map((file, i) => ({
    file,
    ...parseModulePath(file)!,
    modinfo: parseModinfo(elves[i]!, file),
  }));

  const direct = new Map<string, { path: string; compression: ModuleCompression; depends: string[] }>();
  const aliases: ModuleAlias[] = [];
  for (const info of infos) {
    if (direct.has(info.name)) {
      throw new KmodError(
        "invalid-argument",
        `Kernel module ${info.name} is shipped twice: ${direct.get(info.name)!.path} and ${info.file}`,
        "Remove one of the two files from the module tree",
      );
    }
    const values = (key: string) => info.modinfo.filter(([k]) => k === key).map(([, v]) => v);
    const depends = values("depends")
      .flatMap((list) => list.split(","))
      .filter((name) => name !== "")
      .map(normalizeModuleName);
    direct.set(info.name, { path: info.file, compression: info.compression, depends });
    for (const pattern of values("alias")) aliases.push({ pattern, module: info.name });
  }

  const modules = new Map<string, ModuleEntry>();
  for (const [name, { path, compression }] of direct) {
    modules.set(name, { name, path, compression, dependencies: transitiveDependencies(name, direct) });
  }
  return { modules, aliases };
}

/** Every module `name` needs, deepest last (the reverse of a load order), as depmod writes them. */
function transitiveDependencies(
  name: string,
  direct: ReadonlyMap<string, { depends: readonly string[] }>,
): string[] {
  const order: string[] = [];
  const seen = new Set<string>([name]);
  const visit = (current: string, chain: readonly string[]): void => {
    for (const dependency of direct.get(current)?.depends ?? []) {
      if (chain.includes(dependency)) {
        throw new KmodError(
          "invalid-argument",
          `Kernel module dependency cycle: ${[...chain.slice(chain.indexOf(dependency)), dependency].join(" → ")}`,
          "The kernel's modules depend on each other in a cycle: it cannot load them; use another kernel build",
        );
      }
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      // A dependency without a module file stays listed: moduleLoadOrder names it if it is asked for.
      visit(dependency, [...chain, dependency]);
      order.push(dependency);
    }
  };
  visit(name, [name]);
  return order.reverse();
}

async function listModuleFiles(releaseDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(releaseDir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new KmodError(
      "not-found",
      `Kernel module directory not found: ${releaseDir}`,
      "Point at the kernel's /lib/modules/<release> directory (under usr/ in Debian 13 packages)",
    );
  }
  return entries
    .map((entry) => relative(releaseDir, join(releaseDir, entry)))
    .filter((path) => parseModulePath(path) !== undefined);
}

/** The decompressed bytes of each file, in order: xz ones in batches (one `xz` per batch, not per file). */
async function decompressAll(releaseDir: string, files: readonly string[]): Promise<Uint8Array[]> {
  const result = new Array<Uint8Array>(files.length);
  const xz: number[] = [];
  for (const [i, file] of files.entries()) {
    const { compression } = parseModulePath(file)!;
    if (compression === "xz") {
      xz.push(i);
      continue;
    }
    const bytes = await readFile(join(releaseDir, file));
    result[i] =
      compression === "gzip" ? gunzipSync(bytes) : compression === "zstd" ? zstdDecompressSync(bytes) : bytes;
  }
  const batches: number[][] = [];
  for (let at = 0; at < xz.length; at += XZ_BATCH) batches.push(xz.slice(at, at + XZ_BATCH));
  await mapConcurrently(batches, availableParallelism(), async (batch) => {
    const paths = batch.map((i) => join(releaseDir, files[i]!));
    const parts = await xzDecompress(paths);
    for (const [k, i] of batch.entries()) result[i] = parts[k]!;
  });
  return result;
}

const XZ_BATCH = 128;

/**
 * Decompresses several .xz files with two runs of the host's `xz`: `--robot --list` for each
 * file's uncompressed size, then `-dc` of all of them, whose output is cut at those sizes.
 * Spawning one xz per module took 6 s for Debian's 1138 modules; batches take a fraction of it.
 */
async function xzDecompress(paths: readonly string[]): Promise<Uint8Array[]> {
  const list = (await runXz(["--robot", "--list", "--", ...paths])).toString("utf8");
  const sizes = list
    .split("\n")
    .filter((line) => line.startsWith("file\t"))
    .map((line) => Number(line.split("\t")[4]));
  const output = await runXz(["-dc", "--", ...paths]);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (
    sizes.length !== paths.length ||
    sizes.some((size) => !Number.isSafeInteger(size)) ||
    total !== output.length
  ) {
    throw new KmodError(
      "invalid-argument",
      `Decompressing kernel modules: xz listed ${sizes.length} sizes (${total} bytes) for ${paths.length} files, and wrote ${output.length} bytes`,
      "A module file is damaged: fetch the kernel package again",
    );
  }
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(output.subarray(at, at + size));
    at += size;
  }
  return parts;
}

function runXz(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      "xz",
      [...args],
      { encoding: "buffer", maxBuffer: 1024 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        reject(
          new KmodError(
            missing ? "not-found" : "invalid-argument",
            missing
              ? "Decompressing kernel modules: xz is not installed"
              : `Decompressing kernel modules: ${stderr.toString().trim().split("\n").slice(-3).join("; ")}`,
            missing
              ? "Install xz-utils on the build host"
              : "A module file is damaged: fetch the kernel package again",
          ),
        );
      },
    );
  });
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
