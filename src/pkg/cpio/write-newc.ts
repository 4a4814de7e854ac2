import { CpioError } from "./cpio-error.ts";
import { CPIO_TRAILER, CPIO_TYPE_BITS, type CpioEntry, NEWC_MAGIC } from "./newc-entry.ts";

/** Options of {@link writeNewc}. */
export interface WriteNewcOptions {
  /** The modification time of every entry, in seconds since the epoch (0 by default). */
  mtime?: number;
}

/** The largest file a newc header can describe: its size field is 8 hex digits. */
const MAX_FILE_SIZE = 0xffff_ffff;

/**
 * Writes a newc ("070701") cpio archive, the format the Linux kernel unpacks as an initramfs, whose
 * bytes depend on the entries only: entries sorted by path (so parents come first, which the
 * kernel's unpacker needs), missing parent directories added at 0755, owner 0:0, one fixed mtime,
 * inode numbers counted from 1 in that order, and the `TRAILER!!!` entry at the end. The same
 * entries, in any order, always give the same bytes.
 */
export function writeNewc(entries: readonly CpioEntry[], options: WriteNewcOptions = {}): Buffer {
  const mtime = options.mtime ?? 0;
  const chunks: Buffer[] = [];
  let ino = 0;
  for (const entry of withParents(entries)) {
    const data =
      entry.type === "file"
        ? entry.content
        : entry.type === "symlink"
          ? Buffer.from(entry.target, "utf8")
          : new Uint8Array(0);
    if (data.byteLength > MAX_FILE_SIZE) {
      throw new CpioError(
        `File too large for a newc cpio archive: ${entry.path} has ${data.byteLength} bytes`,
        "A newc archive holds files below 4 GiB; leave the file out of the archive",
      );
    }
    const permissions = entry.type === "symlink" ? 0o777 : entry.mode & 0o7777;
    const device = entry.type === "char-device" ? entry : { major: 0, minor: 0 };
    chunks.push(
      header(entry.path, {
        ino: ++ino,
        mode: CPIO_TYPE_BITS[entry.type] | permissions,
        nlink: entry.type === "directory" ? 2 : 1,
        mtime,
        size: data.byteLength,
        rdevMajor: device.major,
        rdevMinor: device.minor,
      }),
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      padding(data.byteLength),
    );
  }
  chunks.push(
    header(CPIO_TRAILER, { ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0, rdevMajor: 0, rdevMinor: 0 }),
  );
  return Buffer.concat(chunks);
}

interface HeaderFields {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
}

/** A newc header (110 bytes), the NUL-terminated name and the padding to a multiple of 4. */
function header(name: string, fields: HeaderFields): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, "utf8");
  const hex = (value: number) => (value >>> 0).toString(16).padStart(8, "0");
  // c_ino c_mode c_uid c_gid c_nlink c_mtime c_filesize c_devmajor c_devminor c_rdevmajor c_rdevminor c_namesize c_check
  const text =
    NEWC_MAGIC +
    [
      fields.ino,
      fields.mode,
      0,
      0,
      fields.nlink,
      fields.mtime,
      fields.size,
      0,
      0,
      fields.rdevMajor,
      fields.rdevMinor,
      nameBytes.length,
      0,
    ]
      .map(hex)
      .join("");
  const head = Buffer.concat([Buffer.from(text, "ascii"), nameBytes]);
  return Buffer.concat([head, padding(head.length)]);
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** The entries, validated, with implied parent directories, sorted by path bytes. */
function withParents(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const entry of entries) {
    checkPath(entry.path);
    if (byPath.has(entry.path)) {
      throw new CpioError(
        `Invalid cpio entries: ${entry.path} appears twice`,
        "Give each path once; the archive would otherwise depend on which copy the unpacker keeps",
      );
    }
    byPath.set(entry.path, entry);
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const known = byPath.get(parent);
      if (known === undefined) byPath.set(parent, { type: "directory", path: parent, mode: 0o755 });
      else if (known.type !== "directory") {
        throw new CpioError(
          `Invalid cpio entries: ${parent} is a ${known.type} with entries below it`,
          "Make the parent a directory, or move the entries below it elsewhere",
        );
      }
    }
  }
  return [...byPath.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

function checkPath(path: string): void {
  const parts = path.split("/");
  if (
    path === "" ||
    path === CPIO_TRAILER ||
    parts.some((part) => part === "" || part === "." || part === "..")
  ) {
    throw new CpioError(
      `Invalid path for a cpio entry: ${JSON.stringify(path)}`,
      "Use a relative path without a leading or doubled slash, `.` or `..` segments",
    );
  }
}
