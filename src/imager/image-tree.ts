import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SteleError } from "../machinery/errors.ts";
import type { LayerEntry } from "../pkg/oci/layer-tar.ts";

/** One entry of an image being built; a file's bytes come from a host file or from memory. */
export type ImageTreeEntry =
  | { type: "directory"; path: string; mode: number }
  | { type: "file"; path: string; mode: number; source: string }
  | { type: "file"; path: string; mode: number; content: Uint8Array }
  | { type: "symlink"; path: string; target: string };

/**
 * The explicit list of what goes into an image, before it becomes a squashfs or a layer. Every
 * entry is added on purpose (nothing is copied by directory), each path once, parents implied
 * at 0o755; the same list always gives the same image because the writers sort it and fix modes.
 */
export class ImageTree {
  readonly #entries = new Map<string, ImageTreeEntry>();

  /** Adds a directory (e.g. an empty mount point). */
  directory(path: string, mode = 0o755): this {
    return this.#add({ type: "directory", path: clean(path), mode });
  }

  /** Adds a regular file copied from the build host. */
  file(path: string, source: string, mode = 0o644): this {
    return this.#add({ type: "file", path: clean(path), mode, source });
  }

  /** Adds a regular file with the given bytes. */
  content(path: string, content: string | Uint8Array, mode = 0o644): this {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    return this.#add({ type: "file", path: clean(path), mode, content: bytes });
  }

  /** Adds a symbolic link. */
  symlink(path: string, target: string): this {
    return this.#add({ type: "symlink", path: clean(path), target });
  }

  /** Every entry, with implied parent directories, sorted by path (parents first). */
  entries(): ImageTreeEntry[] {
    const all = new Map(this.#entries);
    for (const path of this.#entries.keys()) {
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        const known = all.get(parent);
        if (known === undefined) all.set(parent, { type: "directory", path: parent, mode: 0o755 });
        else if (known.type !== "directory") {
          throw new SteleError(
            "internal",
            `Invalid image tree: ${parent} is a ${known.type} with entries below it`,
          );
        }
      }
    }
    return [...all.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  }

  /** Paths of all regular files, sorted. */
  files(): string[] {
    return this.entries()
      .filter((entry) => entry.type === "file")
      .map((entry) => entry.path);
  }

  /**
   * Writes the tree into an empty directory with exact modes (umask does not apply), as the
   * staging area mksquashfs reads. Ownership and times are set by mksquashfs's own flags.
   */
  async writeTo(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    for (const entry of this.entries()) {
      const target = join(dir, entry.path);
      if (entry.type === "directory") {
        await mkdir(target);
        await chmod(target, entry.mode);
      } else if (entry.type === "symlink") {
        await symlink(entry.target, target);
      } else {
        if ("source" in entry) await copyFile(entry.source, target);
        else await writeFile(target, entry.content);
        await chmod(target, entry.mode);
      }
    }
  }

  /** The tree as layer entries for an OCI image (file contents read into memory). */
  async toLayerEntries(): Promise<LayerEntry[]> {
    const layer: LayerEntry[] = [];
    for (const entry of this.entries()) {
      if (entry.type === "file") {
        const content = "source" in entry ? await readFile(entry.source) : entry.content;
        layer.push({ type: "file", path: entry.path, mode: entry.mode, content });
      } else {
        layer.push(entry);
      }
    }
    return layer;
  }

  #add(entry: ImageTreeEntry): this {
    if (this.#entries.has(entry.path)) {
      throw new SteleError(
        "internal",
        `Invalid image tree: ${entry.path} added twice`,
        "This is a bug in the image layout (src/imager): report it",
      );
    }
    this.#entries.set(entry.path, entry);
    return this;
  }
}

function clean(path: string): string {
  const trimmed = path.replace(/^\/+/, "");
  if (trimmed === "" || trimmed.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new SteleError(
      "internal",
      `Invalid path in image tree: ${JSON.stringify(path)}`,
      "This is a bug in the image layout (src/imager): report it",
    );
  }
  return trimmed;
}
