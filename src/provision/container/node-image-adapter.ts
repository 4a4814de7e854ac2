import { join } from "node:path";
import { type EnsureNodeImagesOptions, ensureNodeImages, type NodeImages } from "../../imager/index.ts";
import { findRepoRoot } from "../../imager/repo-root.ts";

export type { NodeImages };

/** Options of ensureClusterImages: where the images go, the download cache, progress lines. */
export type EnsureImagesOptions = Pick<EnsureNodeImagesOptions, "outputDir" | "cacheDir" | "onProgress">;

/**
 * Builds the node images when an input changed, else returns the ones built before: the one call
 * into the imager, behind one seam that tests replace.
 */
export function ensureClusterImages(options: EnsureImagesOptions): Promise<NodeImages> {
  return ensureNodeImages(options);
}

/** `_out/images` of the Stele checkout this code runs from (sources or dist/), where the imager builds. */
export function defaultImagesDir(): string {
  return join(findRepoRoot(import.meta.dirname), "_out", "images");
}
