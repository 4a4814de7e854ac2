import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SteleError } from "../../machinery/errors.ts";

/** What was written: the size and the SHA-256 of the whole file, to compare with a copy later. */
export interface WrittenStream {
  readonly bytes: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

/**
 * Writes a file from chunks that arrive over time (an etcd snapshot of any size), all or nothing:
 * into a temporary file beside it, mode 0600 from its creation (a snapshot holds every secret of the
 * cluster), synced, then renamed over the target. A stream that fails half-way leaves no file and an
 * older file of that name untouched, so a backup job never keeps a cut-off snapshot.
 */
export async function writeStreamAtomically(
  path: string,
  produce: (write: (chunk: Uint8Array) => void) => Promise<void>,
): Promise<WrittenStream> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  let fd: number;
  try {
    fd = openSync(temporary, "wx", 0o600);
  } catch (error) {
    throw new SteleError(
      "io",
      `Cannot write ${path}: ${(error as Error).message}`,
      "Check that the directory exists and is writable",
      { cause: error },
    );
  }
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    await produce((chunk) => {
      // Synchronous: a slow disk slows the reading of the stream instead of filling memory.
      writeSync(fd, chunk);
      hash.update(chunk);
      bytes += chunk.length;
    });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    rmSync(temporary, { force: true });
    throw error;
  }
  return { bytes, sha256: hash.digest("hex") };
}
