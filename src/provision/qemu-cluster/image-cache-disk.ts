import { spawnSync } from "node:child_process";
import {
  closeSync,
  constants,
  copyFileSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { IMAGE_CACHE_LABEL } from "../../app/machined/storage/image-cache-label.ts";
import { SteleError } from "../../machinery/errors.ts";

const MIB = 2 ** 20;
/** ext4 with 4 KiB blocks: block and inode bitmaps, inode tables, directories, and slack, at least. */
const FS_OVERHEAD_BYTES = 8 * MIB;

/**
 * The size of an image-cache file system for archives of `archiveBytes` bytes in total, rounded up to
 * whole MiB: the archives, 3% for the block-mapping metadata of large files, and a fixed overhead for
 * the file system's own structures. There is no journal, so nothing else needs room.
 */
export function imageCacheDiskBytes(archiveBytes: number): number {
  const bytes = archiveBytes + Math.ceil(archiveBytes * 0.03) + FS_OVERHEAD_BYTES;
  return Math.ceil(bytes / MIB) * MIB;
}

/** Options of {@link buildImageCacheDisk}. */
export interface BuildImageCacheDiskOptions {
  /** The mke2fs program (`mkfs.ext4` of the host's e2fsprogs by default). */
  mkfs?: string;
}

/**
 * Makes `output`, a raw disk holding only an ext4 file system labelled IMAGECACHE whose root holds
 * `archives` (OCI image archives such as `etcd.oci.tar`): the disk machined on metal mounts
 * read-only at /system/image-cache for its containerd to import, so VMs on a host without a
 * registry get their system images. Built once per cluster and attached read-only to every VM.
 * `mkfs.ext4 -d` copies a directory into the new file system without mounting anything (no root
 * needed, no loop device); files are owned by root (`root_owner=0:0`) whoever builds it. There is no
 * journal (read-only: nothing to replay), no reserved blocks, and the size fits the archives
 * ({@link imageCacheDiskBytes}). Throws a SteleError with mkfs's own message when it fails.
 */
export function buildImageCacheDisk(
  archives: readonly string[],
  output: string,
  options: BuildImageCacheDiskOptions = {},
): number {
  const staging = mkdtempSync(join(dirname(output), ".image-cache-"));
  try {
    let total = 0;
    for (const archive of archives) {
      // A clone where the file system can (btrfs, XFS), a copy otherwise: the archives stay as built.
      copyFileSync(archive, join(staging, basename(archive)), constants.COPYFILE_FICLONE);
      total += statSync(archive).size;
    }
    const size = imageCacheDiskBytes(total);
    closeSync(openSync(output, "w", 0o644));
    truncateSync(output, size);
    const mkfs = options.mkfs ?? "mkfs.ext4";
    const args = [
      ...["-q", "-F", "-L", IMAGE_CACHE_LABEL, "-b", "4096", "-m", "0", "-O", "^has_journal"],
      ...["-E", "root_owner=0:0", "-d", staging, output],
    ];
    const result = spawnSync(mkfs, args, { encoding: "utf8" });
    if (result.error !== undefined || result.status !== 0) {
      rmSync(output, { force: true });
      const detail = result.error?.message ?? (result.stderr.trim() || `exit code ${result.status}`);
      throw new SteleError(
        "io",
        `Cannot build the image-cache disk ${output}: ${mkfs} ${args.join(" ")}: ${detail}`,
        "install Debian's e2fsprogs (1.43 or later, for mkfs.ext4 -d) and check the free space of the state dir",
      );
    }
    return size;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
