import { existsSync, mkdirSync } from "node:fs";
import { SteleError } from "../machinery/errors.ts";
import { type FileToWrite, writeFilesAtomically } from "../pkg/fs/write-files-atomically.ts";

/** Mode of every file that holds a key, a token or a certificate's private half. */
export const SECRET_FILE_MODE = 0o600;

/**
 * Writes a command's output files all or nothing: refuses to replace existing files unless
 * `force` (a regenerated secret silently replacing the only copy of the old one is how clusters are
 * lost), creates the directory, then writes every file atomically.
 */
export function writeOutputFiles(
  files: readonly FileToWrite[],
  options: { force: boolean; dir?: string },
): void {
  if (!options.force) {
    const existing = files.filter((file) => existsSync(file.path)).map((file) => file.path);
    if (existing.length > 0) {
      throw new SteleError(
        "already-exists",
        `Refusing to overwrite: ${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}`,
        "pass --force to replace them, or choose another --output-dir / --output",
      );
    }
  }
  if (options.dir !== undefined) {
    try {
      mkdirSync(options.dir, { recursive: true });
    } catch (error) {
      throw new SteleError(
        "io",
        `Cannot create output directory ${JSON.stringify(options.dir)}: ${(error as Error).message}`,
        undefined,
        { cause: error },
      );
    }
  }
  try {
    writeFilesAtomically(files);
  } catch (error) {
    throw new SteleError("io", `Cannot write output files: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
}
