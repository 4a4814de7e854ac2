import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileDigest } from "../machinery/image/index.ts";

/** An output file as a build manifest records it. */
export interface RecordedOutput {
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Whether every recorded output is in `outputDir` as the manifest describes it: the size first (a
 * stat, so a missing or truncated file costs nothing), then the sha256. A build whose inputs did
 * not change reuses its outputs only if this holds, so an edited image is rebuilt, never shipped.
 */
export async function outputsIntact(outputDir: string, outputs: readonly RecordedOutput[]): Promise<boolean> {
  for (const output of outputs) {
    const path = join(outputDir, output.file);
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== output.size || (await fileDigest(path)).sha256 !== output.sha256) return false;
  }
  return true;
}
