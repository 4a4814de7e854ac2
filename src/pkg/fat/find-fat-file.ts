import { FatError } from "./fat-error.ts";
import {
  clusterBytes,
  clusterChain,
  clusterOffset,
  type FatSource,
  type FatVolume,
  readFatVolume,
} from "./fat-volume.ts";

/** A file of a FAT volume and where its bytes lie. */
export interface FatFile {
  /** The path as asked for. */
  path: string;
  /** Size in bytes, from its directory entry. */
  size: number;
  /**
   * Its data as runs of consecutive bytes of the volume, in file order, each a whole number of
   * clusters except that the last run ends with the file. One run means the file is contiguous.
   */
  extents: Array<{ offset: number; length: number }>;
}

const ATTR_LONG_NAME = 0x0f;
const ATTR_DIRECTORY = 0x10;
const ATTR_VOLUME_ID = 0x08;

interface DirEntry {
  shortName: string;
  longName: string | undefined;
  directory: boolean;
  firstCluster: number;
  size: number;
}

/**
 * Finds the file at `path` (`/EFI/BOOT/BOOTX64.EFI`, `/` separated, case-insensitive as FAT is; long
 * names and 8.3 names both match) and returns its size and the byte runs of the volume its clusters
 * occupy. Throws a FatError `not-found` for a missing path, `invalid-argument` for a damaged volume.
 */
export function findFatFile(source: FatSource, path: string): FatFile {
  const volume = readFatVolume(source);
  const parts = path.split("/").filter((part) => part !== "");
  if (parts.length === 0) {
    throw new FatError(
      "invalid-argument",
      `Not a file path: ${JSON.stringify(path)}`,
      "Name a file, e.g. /EFI/BOOT/BOOTX64.EFI",
    );
  }
  let dir: { cluster: number } | "root" = "root";
  for (const [i, part] of parts.entries()) {
    const entry: DirEntry | undefined = readDirectory(source, volume, dir).find((e) => matches(e, part));
    const last = i === parts.length - 1;
    if (entry === undefined || entry.directory === last) {
      throw new FatError(
        "not-found",
        `No ${last ? "file" : "directory"} ${JSON.stringify(`/${parts.slice(0, i + 1).join("/")}`)} in the FAT volume`,
        "Check the path; the volume's files are listed by `mdir -/ -i IMAGE ::`",
      );
    }
    if (last) return { path, size: entry.size, extents: extentsOf(source, volume, entry) };
    dir = { cluster: entry.firstCluster };
  }
  throw new Error("unreachable");
}

function matches(entry: DirEntry, name: string): boolean {
  const wanted = name.toUpperCase();
  return entry.shortName.toUpperCase() === wanted || entry.longName?.toUpperCase() === wanted;
}

function extentsOf(source: FatSource, volume: FatVolume, entry: DirEntry): FatFile["extents"] {
  if (entry.size === 0) return [];
  const perCluster = clusterBytes(volume);
  const needed = Math.ceil(entry.size / perCluster);
  const chain = clusterChain(source, volume, entry.firstCluster);
  if (chain.length < needed) {
    throw new FatError(
      "invalid-argument",
      `Damaged FAT volume: a file of ${entry.size} bytes has ${chain.length} clusters of ${perCluster}`,
      "Rebuild the FAT image (mkfs.fat) or check it with fsck.fat",
    );
  }
  const extents: FatFile["extents"] = [];
  let left = entry.size;
  for (const cluster of chain.slice(0, needed)) {
    const offset = clusterOffset(volume, cluster);
    const length = Math.min(perCluster, left);
    left -= length;
    const previous = extents.at(-1);
    if (previous !== undefined && previous.offset + previous.length === offset) previous.length += length;
    else extents.push({ offset, length });
  }
  return extents;
}

/** The entries of a directory (the fixed root of FAT12/16, or a cluster chain), without `.`, `..` and deleted ones. */
function readDirectory(source: FatSource, volume: FatVolume, dir: { cluster: number } | "root"): DirEntry[] {
  let bytes: Uint8Array;
  if (dir === "root" && volume.rootDir !== undefined) {
    bytes = source.read(volume.rootDir.offset, volume.rootDir.size);
  } else {
    const first = dir === "root" ? volume.rootCluster : dir.cluster;
    const chain = clusterChain(source, volume, first);
    const perCluster = clusterBytes(volume);
    bytes = new Uint8Array(chain.length * perCluster);
    chain.forEach((cluster, i) => {
      bytes.set(source.read(clusterOffset(volume, cluster), perCluster), i * perCluster);
    });
  }
  const entries: DirEntry[] = [];
  let longParts: string[] = [];
  for (let at = 0; at + 32 <= bytes.length; at += 32) {
    const e = bytes.subarray(at, at + 32);
    if (e[0] === 0x00) break; // the end of the directory
    if (e[0] === 0xe5) {
      longParts = [];
      continue;
    }
    const attributes = e[11]!;
    if ((attributes & 0x3f) === ATTR_LONG_NAME) {
      // Long-name pieces come last piece first, each holding 13 UTF-16 units.
      const units: number[] = [];
      for (const [from, count] of [
        [1, 5],
        [14, 6],
        [28, 2],
      ] as const) {
        for (let k = 0; k < count; k++) units.push(e[from + 2 * k]! | (e[from + 2 * k + 1]! << 8));
      }
      const end = units.indexOf(0);
      longParts.unshift(String.fromCharCode(...(end === -1 ? units : units.slice(0, end))));
      continue;
    }
    const longName = longParts.length > 0 ? longParts.join("") : undefined;
    longParts = [];
    if (attributes & ATTR_VOLUME_ID) continue;
    const base = latin1(e.subarray(0, 8)).trimEnd();
    const ext = latin1(e.subarray(8, 11)).trimEnd();
    const shortName = (e[0] === 0x05 ? "\xe5" + base.slice(1) : base) + (ext === "" ? "" : `.${ext}`);
    if (shortName === "." || shortName === "..") continue;
    const view = new DataView(e.buffer, e.byteOffset, 32);
    entries.push({
      shortName,
      longName,
      directory: (attributes & ATTR_DIRECTORY) !== 0,
      firstCluster: (view.getUint16(20, true) << 16) | view.getUint16(26, true),
      size: view.getUint32(28, true),
    });
  }
  return entries;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
