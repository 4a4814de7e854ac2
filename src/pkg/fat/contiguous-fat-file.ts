import { FatError } from "./fat-error.ts";
import type { FatSource } from "./fat-volume.ts";
import { findFatFile } from "./find-fat-file.ts";

/**
 * The file at `path` as one run of bytes of the volume: `offset` of its first byte from the start of
 * the volume, and its `size`. For a boot loader that reads a file by sector numbers rather than
 * through the file system (GRUB blocklists), which is only right if the clusters follow each other;
 * a fragmented file is a FatError (`failed-precondition`) saying how many pieces it is in.
 */
export function contiguousFatFile(source: FatSource, path: string): { offset: number; size: number } {
  const file = findFatFile(source, path);
  if (file.extents.length > 1) {
    throw new FatError(
      "failed-precondition",
      `File ${path} is not contiguous in the FAT volume: ${file.extents.length} pieces`,
      "Write the file first into a freshly made FAT volume (mkfs.fat), so that its clusters follow each other",
    );
  }
  return { offset: file.extents[0]?.offset ?? 0, size: file.size };
}
