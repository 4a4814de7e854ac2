import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** One file to write: its path, its bytes, and its mode (0o600 for anything holding a key). */
export interface FileToWrite {
  path: string;
  content: string | Uint8Array;
  mode: number;
}

/**
 * Writes a set of files so that a failure leaves none of them half-written: each is written to a
 * temporary name beside its target and fsynced, and only when every one succeeded are they renamed
 * into place. Renames within a directory are atomic, so a reader sees the old file or the new one.
 * The mode is set at creation (not chmod afterwards), so a key is never readable by others, even
 * for an instant.
 */
export function writeFilesAtomically(files: readonly FileToWrite[]): void {
  const staged: Array<{ temp: string; path: string }> = [];
  try {
    for (const file of files) {
      const temp = join(dirname(file.path), `.${basename(file.path)}.${randomBytes(6).toString("hex")}.tmp`);
      const fd = openSync(temp, "wx", file.mode);
      staged.push({ temp, path: file.path });
      try {
        const bytes = typeof file.content === "string" ? Buffer.from(file.content) : file.content;
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    for (const { temp, path } of staged) renameSync(temp, path);
    for (const dir of new Set(files.map((f) => dirname(f.path)))) fsyncDirectory(dir);
  } catch (error) {
    for (const { temp } of staged) rmSync(temp, { force: true });
    throw error;
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
