import { lstat, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { SteleError } from "../machinery/errors.ts";

/**
 * Resolves a path inside a directory tree that stands for a root filesystem (an extracted package,
 * an image being built), following symbolic links as the target system would: absolute link
 * targets are read relative to `root`, never the build host's `/`. Returns the resolved path
 * relative to `root` (no leading `/`), or undefined when it does not exist.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const pending = path.split("/").filter((part) => part !== "" && part !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(posix.join(root, ...candidate));
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === "ENOENT" ||
        (error as NodeJS.ErrnoException).code === "ENOTDIR"
      ) {
        return undefined;
      }
      throw error;
    }
    if (!stats.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > 40) {
      throw new SteleError(
        "internal",
        `Too many symbolic links resolving ${path} in ${root}`,
        "A package ships a symlink loop: report it with the package names",
      );
    }
    const target = await readlink(posix.join(root, ...candidate));
    const parts = target.split("/").filter((p) => p !== "" && p !== ".");
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...parts);
  }
  return resolved.join("/");
}
