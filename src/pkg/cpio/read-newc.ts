import { CpioError } from "./cpio-error.ts";
import { CPIO_TRAILER, CPIO_TYPE_BITS, type CpioEntry, NEWC_MAGIC } from "./newc-entry.ts";

/** One entry read back from an archive, with the header fields a writer might have got wrong. */
export type ReadCpioEntry = CpioEntry & { uid: number; gid: number; mtime: number; ino: number };

const HEADER_LENGTH = 110;

/**
 * Reads a newc ("070701") cpio archive up to its `TRAILER!!!` entry: what an initramfs holds, for
 * tests and audits (is there a shell in it?) on hosts without cpio or bsdtar. Entry types other
 * than directories, files, symlinks and character devices are an error, as is a truncated archive.
 */
export function readNewc(archive: Uint8Array): ReadCpioEntry[] {
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const entries: ReadCpioEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + HEADER_LENGTH > bytes.length) throw truncated(offset);
    const magic = bytes.toString("ascii", offset, offset + 6);
    if (magic !== NEWC_MAGIC) {
      throw new CpioError(
        `Invalid cpio archive: expected the newc magic ${NEWC_MAGIC} at byte ${offset}, found ${JSON.stringify(magic)}`,
        "Give an uncompressed newc archive (decompress an initramfs first)",
      );
    }
    const field = (index: number) => {
      const text = bytes.toString("ascii", offset + 6 + index * 8, offset + 14 + index * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(text)) throw truncated(offset);
      return Number.parseInt(text, 16);
    };
    const ino = field(0);
    const mode = field(1);
    const uid = field(2);
    const gid = field(3);
    const mtime = field(5);
    const size = field(6);
    const rdevMajor = field(9);
    const rdevMinor = field(10);
    const nameSize = field(11);
    const nameStart = offset + HEADER_LENGTH;
    const nameEnd = nameStart + nameSize - 1;
    if (nameSize < 1 || nameEnd >= bytes.length) throw truncated(offset);
    const name = bytes.toString("utf8", nameStart, nameEnd);
    const dataStart = align(nameStart + nameSize);
    if (name === CPIO_TRAILER) return entries;
    const dataEnd = dataStart + size;
    if (dataEnd > bytes.length) throw truncated(offset);
    const data = bytes.subarray(dataStart, dataEnd);
    const path = name.replace(/^(\.\/|\/)+/, "");
    const common = { uid, gid, mtime, ino };
    const permissions = mode & 0o7777;
    switch (mode & 0o170000) {
      case CPIO_TYPE_BITS.directory:
        entries.push({ type: "directory", path, mode: permissions, ...common });
        break;
      case CPIO_TYPE_BITS.file:
        entries.push({ type: "file", path, mode: permissions, content: data, ...common });
        break;
      case CPIO_TYPE_BITS.symlink:
        entries.push({ type: "symlink", path, target: data.toString("utf8"), ...common });
        break;
      case CPIO_TYPE_BITS["char-device"]:
        entries.push({
          type: "char-device",
          path,
          mode: permissions,
          major: rdevMajor,
          minor: rdevMinor,
          ...common,
        });
        break;
      default:
        throw new CpioError(
          `Unsupported cpio entry type: ${path} has mode ${mode.toString(8)}`,
          "Only directories, regular files, symlinks and character devices are read",
        );
    }
    offset = align(dataEnd);
  }
}

function align(offset: number): number {
  return (offset + 3) & ~3;
}

function truncated(offset: number): CpioError {
  return new CpioError(
    `Invalid cpio archive: truncated or corrupt header at byte ${offset}`,
    "The archive is incomplete; write it again",
  );
}
