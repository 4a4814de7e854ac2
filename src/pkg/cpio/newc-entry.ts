/**
 * One entry of a newc cpio archive, as Stele writes and reads them. Only what an initramfs needs:
 * directories, regular files, symbolic links and character devices (the kernel needs
 * `/dev/console` before any filesystem is mounted). Paths are relative, without a leading `/`.
 */
export type CpioEntry =
  | { type: "directory"; path: string; mode: number }
  | { type: "file"; path: string; mode: number; content: Uint8Array }
  | { type: "symlink"; path: string; target: string }
  | { type: "char-device"; path: string; mode: number; major: number; minor: number };

/** The file-type bits of a newc `c_mode` field for each entry type (S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR). */
export const CPIO_TYPE_BITS: Readonly<Record<CpioEntry["type"], number>> = {
  directory: 0o040000,
  file: 0o100000,
  symlink: 0o120000,
  "char-device": 0o020000,
};

/** The magic of the "new" (SVR4, no CRC) ASCII format, the one the Linux initramfs unpacker reads. */
export const NEWC_MAGIC = "070701";

/** The name of the entry that ends every cpio archive. */
export const CPIO_TRAILER = "TRAILER!!!";
