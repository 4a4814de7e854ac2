import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type CtrTarget, ctrGlobalArgs } from "./ctr-args.ts";
import { runCommand } from "./run-command.ts";

/** Options of {@link importImageCache}. */
export interface ImportImageCacheOptions {
  /** The directory of image archives (`/system/image-cache`). */
  dir: string;
  /** The containerd to import into. */
  target: CtrTarget;
  /** The ctr binary. */
  ctr: string;
  /** Where each imported image (or failure) is reported: the containerd service's log. */
  log: (message: string) => void;
  signal?: AbortSignal;
}

/** What an import did: the image names imported and the archives that failed. */
export interface ImageCacheImport {
  readonly images: readonly string[];
  readonly failed: readonly string[];
}

/**
 * Imports every `*.tar` archive (OCI or Docker layout) of the image cache into containerd with
 * `ctr images import`, which also unpacks each image so that a container can start from it at once.
 * The image cache is how an air-gapped node gets its system images (etcd); a missing directory is
 * not an error, only a node without a cache. A failed archive is logged and the others still go in.
 */
export async function importImageCache(options: ImportImageCacheOptions): Promise<ImageCacheImport> {
  let files: string[];
  try {
    files = readdirSync(options.dir)
      .filter((name) => name.endsWith(".tar"))
      .sort();
  } catch {
    return { images: [], failed: [] };
  }
  const images: string[] = [];
  const failed: string[] = [];
  for (const name of files) {
    const file = join(options.dir, name);
    try {
      const result = await runCommand(
        options.ctr,
        [...ctrGlobalArgs(options.target), "images", "import", file],
        options.signal ? { signal: options.signal } : {},
      );
      if (result.code !== 0) {
        failed.push(file);
        options.log(
          `Cannot import ${file}: ${result.stderr.trim().split("\n").at(-1) ?? `exit code ${result.code}`}`,
        );
        continue;
      }
      const names = importedImageNames(result.stdout);
      images.push(...names);
      for (const image of names) options.log(`Imported image ${image} from ${file}`);
      if (names.length === 0) options.log(`Imported ${file}: it named no image`);
    } catch (error) {
      failed.push(file);
      options.log(`Cannot import ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { images, failed };
}

/** The image names in `ctr images import` output: one `unpacking NAME (sha256:…)...done` line each. */
export function importedImageNames(output: string): string[] {
  return [...output.matchAll(/^unpacking (\S+) \(sha256:[0-9a-f]+\)/gm)].map((match) => match[1]!);
}
