import { join } from "node:path";
import { SteleError } from "../machinery/errors.ts";
import { type ElfInfo, EM_X86_64 } from "../pkg/elf/parse-elf.ts";
import { readElfFile } from "../pkg/elf/read-elf-file.ts";
import { resolveInRoot } from "./resolve-in-root.ts";

/** Where the loader of a Debian amd64 system looks for libraries without an ld.so.cache. */
export const LIBRARY_SEARCH_DIRS = [
  "usr/lib/x86_64-linux-gnu",
  "usr/lib",
  "lib/x86_64-linux-gnu",
  "lib",
] as const;

/** One library an image needs: the name the binaries ask for and the file that provides it. */
export interface ClosureLibrary {
  /** The DT_NEEDED name (`libstdc++.so.6`), the name it is stored under in the image. */
  soname: string;
  /** The resolved regular file inside `root` (relative), e.g. `usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.33`. */
  path: string;
  /** Who needs it first, for error messages and the report. */
  neededBy: string;
}

/** An ELF file to compute the closure of: a label for messages and its parsed headers. */
export interface ClosureRoot {
  name: string;
  info: ElfInfo;
}

/**
 * The transitive set of shared libraries that `roots` need (DT_NEEDED, breadth first), resolved in
 * `root` (the extracted Debian packages) the way the loader would: DT_RPATH/DT_RUNPATH directories,
 * then the default multiarch directories. Every library must be x86-64 ELF; a name found nowhere is
 * an error naming who needs it, so an image never ships a binary that cannot start.
 */
export async function libraryClosure(roots: readonly ClosureRoot[], root: string): Promise<ClosureLibrary[]> {
  const found = new Map<string, ClosureLibrary>();
  const queue: Array<{ soname: string; by: string; dirs: readonly string[] }> = [];
  const enqueue = (name: string, info: ElfInfo) => {
    const extra = [...info.rpath, ...info.runpath];
    if (extra.some((dir) => dir.includes("$"))) {
      throw new SteleError(
        "internal",
        `Unsupported library search path in ${name}: ${extra.join(":")}`,
        "Only absolute DT_RPATH/DT_RUNPATH directories are resolved: add the library explicitly",
      );
    }
    for (const soname of info.needed)
      queue.push({ soname, by: name, dirs: [...extra, ...LIBRARY_SEARCH_DIRS] });
  };
  for (const { name, info } of roots) enqueue(name, info);
  while (queue.length > 0) {
    const { soname, by, dirs } = queue.shift()!;
    if (found.has(soname)) continue;
    let path: string | undefined;
    for (const dir of dirs) {
      path = await resolveInRoot(root, `${dir}/${soname}`);
      if (path !== undefined) break;
    }
    if (path === undefined) {
      throw new SteleError(
        "failed-precondition",
        `Library not found for the image: ${by} needs ${soname}, which no fetched Debian package provides`,
        "Add the Debian package that ships it to the image's package list (src/imager/rootfs-layout.ts)",
      );
    }
    const info = await readElfFile(join(root, path));
    if (info === undefined || info.machine !== EM_X86_64 || info.bits !== 64) {
      throw new SteleError(
        "failed-precondition",
        `Invalid library for the image: ${path} (needed by ${by} as ${soname}) is not an x86-64 ELF file`,
        "Check the Debian package list: every library must be built for amd64",
      );
    }
    found.set(soname, { soname, path, neededBy: by });
    enqueue(soname, info);
  }
  return [...found.values()].sort((a, b) => (a.soname < b.soname ? -1 : a.soname > b.soname ? 1 : 0));
}
