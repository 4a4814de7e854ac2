import { TarWriter } from "../archive/tar-writer.ts";
import { OciError } from "./oci-error.ts";

/** One entry of an image layer; paths are relative (`usr/local/bin/etcd`), owner is always root. */
export type LayerEntry =
  | { type: "file"; path: string; content: Uint8Array; mode: number }
  | { type: "directory"; path: string; mode: number }
  | { type: "symlink"; path: string; target: string };

/** Mode given to a parent directory that the entries imply but do not list. */
export const IMPLIED_DIRECTORY_MODE = 0o755;

/**
 * Writes a layer as an uncompressed tar that is the same bytes for the same entries: sorted by path,
 * every parent directory listed before its children (0o755 unless given), mtime 0, uid/gid 0.
 * Uncompressed, because then the layer's digest is its diff_id and no compressor version can change
 * the bytes; the archive is imported locally, where size matters little.
 */
export function buildLayerTar(entries: readonly LayerEntry[]): Buffer {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const path = normalise(entry.path);
    if (byPath.has(path)) throw new OciError(`Duplicate path in image layer: ${path}`, "List each path once");
    byPath.set(path, { ...entry, path });
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const known = byPath.get(parent);
      if (known === undefined)
        byPath.set(parent, { type: "directory", path: parent, mode: IMPLIED_DIRECTORY_MODE });
      else if (known.type !== "directory") {
        throw new OciError(
          `Invalid image layer: ${parent} is a ${known.type}, not a directory`,
          "Put files under real directories; a symlinked directory cannot hold layer entries",
        );
      }
    }
  }
  const tar = new TarWriter({ mtime: new Date(0) });
  for (const path of [...byPath.keys()].sort(comparePaths)) {
    const entry = byPath.get(path)!;
    if (entry.type === "directory") tar.addDirectory(path, { mode: entry.mode });
    else if (entry.type === "symlink") tar.addSymlink(path, entry.target);
    else tar.addFile(path, entry.content, { mode: entry.mode });
  }
  return tar.toBuffer();
}

function normalise(path: string): string {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "" || trimmed.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new OciError(
      `Invalid path in image layer: ${JSON.stringify(path)}`,
      "Use a path inside the image without empty, `.` or `..` components",
    );
  }
  return trimmed;
}

/** Byte order of the UTF-8 paths (not the locale's), so the order is the same on every host. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
