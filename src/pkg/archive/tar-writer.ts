/**
 * The longest path a ustar header can hold: 155 bytes of prefix, the `/` between, 100 of name.
 * Longer paths need pax or GNU extensions, which this writer leaves out to stay small.
 */
export const MAX_TAR_PATH_BYTES = 255;

const BLOCK = 512;

/** Options of one entry of a TarWriter. */
export interface TarEntryOptions {
  /** Permission bits; 0o600 for files and 0o700 for directories by default (bundles are private). */
  mode?: number;
  /** Modification time; the writer's `mtime` by default. */
  mtime?: Date;
}

/**
 * Thrown when a path cannot be written as a ustar entry (too long, empty, absolute or with `..`).
 * A plain Error subclass with a `hint`, since src/pkg may not import the machinery's SteleError.
 */
export class TarPathError extends Error {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = "TarPathError";
    this.hint = hint;
  }
}

/** The longest symbolic link target a ustar header holds (its `linkname` field). */
export const MAX_TAR_LINK_BYTES = 100;

/**
 * Builds a ustar (POSIX.1-1988) archive in memory, as GNU and BSD tar read it: regular files,
 * directories and symbolic links, owner root, paths up to 255 bytes through the ustar prefix field. Parent
 * directories are added once, before their first file, so extraction creates them with the
 * archive's mode rather than the extractor's umask. In memory, because what it makes is small: the
 * support bundles (logs and YAML of a few nodes) and the layers of hand-made OCI images (tens of MB).
 * Entries are written in the order they are added, so a caller that adds them sorted, with a fixed
 * `mtime`, gets the same bytes every time (what reproducible images need).
 * `toBuffer()` ends the archive with its two zero blocks.
 */
export class TarWriter {
  readonly #blocks: Uint8Array[] = [];
  readonly #directories = new Set<string>();
  readonly #mtime: Date;

  constructor(options: { mtime?: Date } = {}) {
    this.#mtime = options.mtime ?? new Date();
  }

  /** Adds a regular file at a relative path (`a/b/c.txt`), with its parent directories. */
  addFile(path: string, content: string | Uint8Array, options: TarEntryOptions = {}): void {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const parts = checkPath(path);
    const fileHeader = header(parts.join("/"), {
      type: "0",
      size: bytes.length,
      mode: options.mode ?? 0o600,
      mtime: options.mtime ?? this.#mtime,
    });
    for (let i = 1; i < parts.length; i++) this.#addParent(parts.slice(0, i).join("/"));
    this.#blocks.push(fileHeader);
    this.#blocks.push(bytes);
    const padding = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    if (padding > 0) this.#blocks.push(new Uint8Array(padding));
  }

  /**
   * Adds a symbolic link at `path` pointing to `target` (kept as given: relative or absolute), with
   * its parent directories. A link's own mode is not used by Linux; 0o777 is what `ln -s` makes.
   */
  addSymlink(path: string, target: string, options: TarEntryOptions = {}): void {
    const parts = checkPath(path);
    if (target === "" || target.includes("\0") || Buffer.byteLength(target, "utf8") > MAX_TAR_LINK_BYTES) {
      throw new TarPathError(
        `Invalid symbolic link target in archive: ${JSON.stringify(path)} -> ${JSON.stringify(target)}`,
        `A ustar link target is 1 to ${MAX_TAR_LINK_BYTES} bytes without NUL: shorten the target`,
      );
    }
    const linkHeader = header(parts.join("/"), {
      type: "2",
      size: 0,
      mode: options.mode ?? 0o777,
      mtime: options.mtime ?? this.#mtime,
      linkname: target,
    });
    for (let i = 1; i < parts.length; i++) this.#addParent(parts.slice(0, i).join("/"));
    this.#blocks.push(linkHeader);
  }

  /** Adds a directory (and its parents) unless already added. */
  addDirectory(path: string, options: TarEntryOptions = {}): void {
    const parts = checkPath(path);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (this.#directories.has(dir)) continue;
      const entry = header(`${dir}/`, {
        type: "5",
        size: 0,
        mode: options.mode ?? 0o700,
        mtime: options.mtime ?? this.#mtime,
      });
      this.#directories.add(dir);
      this.#blocks.push(entry);
    }
  }

  /**
   * Adds an implied parent directory. One whose own entry would not fit a header (a 155-byte
   * directory has no `/` to split at once its trailing `/` is added) is left out: tar creates it
   * anyway when it extracts the file inside.
   */
  #addParent(dir: string): void {
    try {
      this.addDirectory(dir);
    } catch (error) {
      if (!(error instanceof TarPathError)) throw error;
    }
  }

  /** The archive so far, ended by the two zero blocks tar expects. */
  toBuffer(): Buffer {
    return Buffer.concat([...this.#blocks, new Uint8Array(2 * BLOCK)]);
  }
}

function checkPath(path: string): string[] {
  const parts = path.split("/").filter((part) => part !== "");
  if (parts.length === 0 || path.startsWith("/") || parts.some((p) => p === "." || p === "..")) {
    throw new TarPathError(
      `Invalid path in archive: ${JSON.stringify(path)}`,
      "Use a relative path without `.` or `..` components",
    );
  }
  if (parts.some((part) => part.includes("\0"))) {
    throw new TarPathError(
      `Invalid path in archive: ${JSON.stringify(path)} contains a NUL byte`,
      "Remove the NUL byte",
    );
  }
  return parts;
}

interface HeaderFields {
  type: "0" | "2" | "5";
  size: number;
  mode: number;
  mtime: Date;
  linkname?: string;
}

function header(path: string, fields: HeaderFields): Uint8Array {
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(path);
  block.write(name, 0, 100, "utf8");
  writeOctal(block, fields.mode & 0o7777, 100, 8);
  writeOctal(block, 0, 108, 8); // uid
  writeOctal(block, 0, 116, 8); // gid
  writeOctal(block, fields.size, 124, 12);
  writeOctal(block, Math.max(0, Math.floor(fields.mtime.getTime() / 1000)), 136, 12);
  block.write(fields.type, 156, 1, "ascii");
  if (fields.linkname !== undefined) block.write(fields.linkname, 157, MAX_TAR_LINK_BYTES, "utf8");
  block.write("ustar\0", 257, 6, "ascii");
  block.write("00", 263, 2, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  block.write(prefix, 345, 155, "utf8");
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return block;
}

/** Splits a path into ustar's name (≤ 100 bytes) and prefix (≤ 155 bytes) at a `/`. */
function splitPath(path: string): { name: string; prefix: string } {
  const length = Buffer.byteLength(path, "utf8");
  if (length <= 100) return { name: path, prefix: "" };
  // A directory's trailing `/` belongs to its name; split only at the separators before it.
  const body = path.endsWith("/") ? path.slice(0, -1) : path;
  for (let at = body.indexOf("/"); at !== -1; at = body.indexOf("/", at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (Buffer.byteLength(prefix, "utf8") <= 155 && Buffer.byteLength(name, "utf8") <= 100) {
      return { name, prefix };
    }
  }
  throw new TarPathError(
    `Path too long for a tar archive: ${JSON.stringify(path)} is ${length} bytes`,
    `A ustar path holds at most ${MAX_TAR_PATH_BYTES} bytes, split at a "/" into at most 155 and 100: shorten the path`,
  );
}

function writeOctal(block: Buffer, value: number, offset: number, width: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) {
    throw new RangeError(`Value ${value} does not fit a ${width}-byte tar field`);
  }
  block.write(`${digits.padStart(width - 1, "0")}\0`, offset, width, "ascii");
}
