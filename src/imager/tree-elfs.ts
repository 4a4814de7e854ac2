import { SteleError } from "../machinery/errors.ts";
import { type ElfInfo, EM_X86_64, machineName, parseElf } from "../pkg/elf/parse-elf.ts";
import { isElfFile, readElfFile } from "../pkg/elf/read-elf-file.ts";
import type { ImageTree } from "./image-tree.ts";
import { LOADER } from "./rootfs-layout.ts";

/** An ELF file of an image tree and its headers. */
export interface TreeElf {
  path: string;
  info: ElfInfo;
}

/**
 * The ELF files of a tree, checked before the image is written: each is on `allowlist`, is
 * x86-64, and names the image's loader as interpreter (when it has one). A failure here means the
 * image would ship a binary nobody reviewed or one that cannot start.
 */
export async function treeElfs(tree: ImageTree, allowlist: readonly string[]): Promise<TreeElf[]> {
  const elfs: TreeElf[] = [];
  for (const entry of tree.entries()) {
    if (entry.type !== "file") continue;
    let info: ElfInfo | undefined;
    if ("content" in entry) info = parseElf(entry.content);
    else if (await isElfFile(entry.source)) info = await readElfFile(entry.source);
    if (info === undefined) continue;
    checkAllowed(entry.path, allowlist);
    if (info.machine !== EM_X86_64 || info.bits !== 64) {
      throw new SteleError(
        "failed-precondition",
        `Invalid binary for an x86-64 image: ${entry.path} is ${info.bits}-bit ${machineName(info.machine)}`,
        "Use the amd64 build of the package",
      );
    }
    if (info.interpreter !== undefined && info.interpreter !== `/${LOADER}`) {
      throw new SteleError(
        "failed-precondition",
        `Invalid program interpreter in ${entry.path}: ${info.interpreter}, the image has /${LOADER}`,
        "Use a binary linked against glibc for x86-64",
      );
    }
    elfs.push({ path: entry.path, info });
  }
  return elfs;
}

/** Refuses an ELF file that is not on the image's allowlist. */
export function checkAllowed(path: string, allowlist: readonly string[]): void {
  if (!allowlist.includes(path)) {
    throw new SteleError(
      "internal",
      `ELF file not on the image's allowlist: ${path}`,
      "Review why the image needs it, then add it to src/imager/elf-allowlist.ts",
    );
  }
}
