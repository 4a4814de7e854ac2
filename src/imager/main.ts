/**
 * `node src/imager/main.ts [--output-dir DIR] [--cache-dir DIR] [--force]`: builds the node images
 * from a shell (what `stelectl cluster create` does through ensureNodeImages), into the
 * repository's `_out/images` by default, and prints where they are, their sizes and the time taken.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isSteleError } from "../machinery/errors.ts";
import { ensureNodeImages } from "./ensure-node-images.ts";
import { findRepoRoot } from "./repo-root.ts";

const USAGE = "usage: node src/imager/main.ts [--output-dir DIR] [--cache-dir DIR] [--force]\n";

async function main(): Promise<number> {
  let values: { "output-dir"?: string; "cache-dir"?: string; force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        "output-dir": { type: "string" },
        "cache-dir": { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = Date.now();
  try {
    const images = await ensureNodeImages({
      outputDir: values["output-dir"] ?? join(findRepoRoot(), "_out", "images"),
      cacheDir: values["cache-dir"],
      force: values.force,
      onProgress: (message) =>
        process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${message}\n`),
    });
    for (const [label, path] of [
      ["rootfs", images.rootfs],
      ["etcd image", images.etcdImage],
      ["manifest", images.manifest],
    ] as const) {
      process.stdout.write(
        `${label.padEnd(11)} ${path} (${((await stat(path)).size / 1e6).toFixed(1)} MB)\n`,
      );
    }
    process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (error) {
    if (isSteleError(error)) {
      process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
