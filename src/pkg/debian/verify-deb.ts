import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { DebianError } from "./debian-error.ts";
import type { DebPackage } from "./packages-index.ts";

/** SHA-256 of a file, lower-case hex, streamed so a large .deb is not held in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Whether a .deb on disk is the one the signed index names (same SHA-256). A missing file is
 * simply not verified; used for files found in the cache, where a mismatch means "fetch again".
 */
export async function debMatchesIndex(path: string, entry: Pick<DebPackage, "sha256">): Promise<boolean> {
  try {
    return (await sha256File(path)) === entry.sha256;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Refuses a .deb whose SHA-256 differs from the index's: the error names the package, the expected
 * and the actual hash. Used right after a download, where a mismatch is never retried silently.
 */
export async function verifyDeb(
  path: string,
  entry: Pick<DebPackage, "name" | "version" | "sha256">,
): Promise<void> {
  const actual = await sha256File(path);
  if (actual !== entry.sha256) {
    throw new DebianError(
      "integrity",
      `Package ${entry.name} ${entry.version} does not match the signed index: expected SHA256 ${entry.sha256}, got ${actual}`,
      "A mirror or proxy served a different file: retry, and if it persists delete the apt cache directory",
    );
  }
}
