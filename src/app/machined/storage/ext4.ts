import { execFileSync } from "node:child_process";

/** Where an ext2/3/4 superblock starts on its device, and where its magic lies in it. */
const SUPERBLOCK_OFFSET = 1024;
const MAGIC_OFFSET = 56;
const EXT_MAGIC = 0xef53;

/** The bytes to read at {@link EXT4_PROBE_OFFSET} to decide {@link hasExtSuperblock}. */
export const EXT4_PROBE_OFFSET = SUPERBLOCK_OFFSET;
export const EXT4_PROBE_LENGTH = 1024;

/**
 * Whether `superblock` (the 1024 bytes at offset 1024 of a device) is an ext2/3/4 superblock, by its
 * magic. A partition without one is blank as far as machined is concerned, and is formatted.
 */
export function hasExtSuperblock(superblock: Uint8Array): boolean {
  if (superblock.length < MAGIC_OFFSET + 2) return false;
  return (superblock[MAGIC_OFFSET]! | (superblock[MAGIC_OFFSET + 1]! << 8)) === EXT_MAGIC;
}

/** The volume label of an ext superblock (s_volume_name: 16 bytes at 120). */
export function extLabel(superblock: Uint8Array): string {
  return Buffer.from(superblock.subarray(120, 136)).toString("utf8").replace(/\0.*$/s, "");
}

/** Options of {@link mkfsExt4Args}. */
export interface Ext4Format {
  /** The file system label (`STATE`, `EPHEMERAL`): at most 16 bytes. */
  label: string;
  /** The file system UUID: machined uses the partition's GUID, so a format is reproducible. */
  uuid: string;
}

/**
 * The mke2fs command line that makes STATE and EPHEMERAL, the same at every install and first boot:
 * ext4 (built into the kernel, so nothing has to be loaded before the module lock; Talos uses XFS,
 * which Debian's kernel has as a module), 4 KiB blocks whatever the size (mke2fs would pick 1 KiB
 * for the 100 MiB STATE), the UUID given, no reserved blocks (everything on a node runs as root),
 * forced and quiet (no question on a device that held something), inode tables initialised lazily by
 * the kernel (formatting a large disk takes seconds) but the journal zeroed now, so nothing from an
 * earlier file system can be replayed.
 */
export function mkfsExt4Args(device: string, format: Ext4Format): string[] {
  return [
    "-t",
    "ext4",
    "-F",
    "-q",
    "-b",
    "4096",
    "-m",
    "0",
    "-L",
    format.label,
    "-U",
    format.uuid,
    "-E",
    "lazy_itable_init=1,lazy_journal_init=0",
    device,
  ];
}

/** The program: in the image at /usr/sbin/mke2fs (src/imager/rootfs-layout.ts), found through PATH. */
export const MKE2FS = "mke2fs";

/** Formats `device` as ext4 with {@link mkfsExt4Args}; throws with mke2fs's own message on failure. */
export function formatExt4(device: string, format: Ext4Format): void {
  try {
    execFileSync(MKE2FS, mkfsExt4Args(device, format), { stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`mke2fs ${device}: ${stderr || (error as Error).message}`, { cause: error });
  }
}
