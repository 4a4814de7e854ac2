import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * The size and sha256 of a file, read as a stream: image files are hundreds of MB and a node
 * verifying one must not hold it in memory. Both from the same read, so they describe one version
 * of the file. Rejects with the fs error (ENOENT …) for the caller to word.
 */
export async function fileDigest(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}
