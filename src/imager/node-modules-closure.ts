import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { SteleError } from "../machinery/errors.ts";

/** One npm package of the image: where it is on the build host and where it goes in node_modules. */
export interface ClosurePackage {
  name: string;
  version: string;
  /** Absolute directory on the build host. */
  dir: string;
  /** Directory relative to the node_modules root (`@grpc/reflection/node_modules/@grpc/proto-loader`). */
  path: string;
}

/**
 * The packages the bundle's externals need at run time: the externals and, transitively, their
 * `dependencies`, `optionalDependencies` that are installed and non-optional `peerDependencies`
 * (grpc-js is a peer of @grpc/reflection and is required at run time), each resolved as Node
 * resolves it (the nearest `node_modules` upwards, so nested versions are kept where npm put them).
 * Type-only packages (`@types/*`) are left out: nothing loads them at run time.
 */
export async function nodeModulesClosure(
  externals: readonly string[],
  nodeModulesDir: string,
): Promise<ClosurePackage[]> {
  const packages = new Map<string, ClosurePackage>();
  const visit = async (
    name: string,
    fromDir: string,
    requiredBy: string,
    optional: boolean,
  ): Promise<void> => {
    if (name.startsWith("@types/")) return;
    const dir = await resolvePackage(name, fromDir, nodeModulesDir);
    if (dir === undefined) {
      if (optional) return;
      throw new SteleError(
        "failed-precondition",
        `Package not installed for the image: ${name} (needed by ${requiredBy}) is not in ${nodeModulesDir}`,
        "Run `npm ci` in the repository",
      );
    }
    if (packages.has(dir)) return;
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as PackageJson;
    packages.set(dir, {
      name,
      version: manifest.version ?? "",
      dir,
      path: relative(nodeModulesDir, dir).split(sep).join("/"),
    });
    const optionalPeers = manifest.peerDependenciesMeta ?? {};
    for (const dep of Object.keys(manifest.dependencies ?? {}).sort()) await visit(dep, dir, name, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {}).sort())
      await visit(dep, dir, name, true);
    for (const dep of Object.keys(manifest.peerDependencies ?? {}).sort()) {
      await visit(dep, dir, name, optionalPeers[dep]?.optional === true);
    }
  };
  for (const name of externals) await visit(name, nodeModulesDir, "the bundle", false);
  return [...packages.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface PackageJson {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Node's lookup: `<dir>/node_modules/<name>` from the requiring package up to the root node_modules. */
async function resolvePackage(
  name: string,
  fromDir: string,
  nodeModulesDir: string,
): Promise<string | undefined> {
  let dir = fromDir;
  for (;;) {
    const candidate = dir === nodeModulesDir ? join(dir, name) : join(dir, "node_modules", name);
    if (await isFile(join(candidate, "package.json"))) return candidate;
    if (dir === nodeModulesDir || !dir.startsWith(nodeModulesDir)) return undefined;
    dir = parentPackageDir(dir, nodeModulesDir);
  }
}

/** The directory whose node_modules is searched next: the enclosing package, or the root. */
function parentPackageDir(dir: string, nodeModulesDir: string): string {
  const rel = relative(nodeModulesDir, dir).split(sep);
  // rel is like [@scope, name, node_modules, other] — drop the last package name (and scope).
  const at = rel.lastIndexOf("node_modules");
  return at === -1 ? nodeModulesDir : join(nodeModulesDir, ...rel.slice(0, at));
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Files of a package that are only for development: TypeScript sources and declarations, source
 * maps, Markdown. Node never loads them (it does not strip types under node_modules).
 */
export const DEV_ONLY_FILE = /\.([cm]?ts|map|md|markdown)$/i;

/**
 * The files of one package to copy into the image, relative to its directory and sorted: all
 * except nested `node_modules` (those are packages of their own in the closure) and DEV_ONLY_FILE,
 * or exactly `only` when given (koffi: its loader and the one prebuilt binary for linux x64).
 */
export async function packageFiles(pkg: ClosurePackage, only?: readonly string[]): Promise<string[]> {
  if (only !== undefined) {
    for (const file of only) {
      if (!(await isFile(join(pkg.dir, file)))) {
        throw new SteleError(
          "failed-precondition",
          `File missing from package ${pkg.name} ${pkg.version}: ${file}`,
          "Run `npm ci` in the repository; if the package changed its layout, update src/imager/rootfs-layout.ts",
        );
      }
    }
    return [...only].sort();
  }
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(pkg.dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.name === "node_modules") continue;
      const isDir =
        entry.isDirectory() || (entry.isSymbolicLink() && (await stat(join(pkg.dir, path))).isDirectory());
      if (isDir) await walk(path);
      else if (!DEV_ONLY_FILE.test(entry.name)) files.push(path);
    }
  };
  await walk("");
  return files.sort();
}
