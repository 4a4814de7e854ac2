import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { SteleError } from "../machinery/errors.ts";
import { withHostLock } from "./host-lock.ts";

const run = promisify(execFile);

/** The bundle of Stele's userland as built now: the entry file and the chunks it loads lazily. */
export interface BuiltBundle {
  /** dist/stele.mjs */
  content: Buffer;
  /** dist/chunks/*.mjs, sorted by name (esbuild's code splitting: one chunk per program and shared code). */
  chunks: readonly { name: string; content: Buffer }[];
  /** One hash over the entry and every chunk (name and bytes). */
  sha256: string;
}

/**
 * Builds dist/stele.mjs and its chunks with the repository's scripts/build.sh (esbuild,
 * deterministic) and returns their bytes. Two builds in the same checkout take turns (they write the same file), and the bytes
 * are read while the lock is held, so a concurrent build never hands out a half-written bundle.
 */
export async function buildBundle(
  repoRoot: string,
  options: { onWait?: () => void } = {},
): Promise<BuiltBundle> {
  return withHostLock(
    `bundle:${repoRoot}`,
    async () => {
      try {
        await run("bash", [join(repoRoot, "scripts", "build.sh")], {
          cwd: repoRoot,
          maxBuffer: 16 * 1024 * 1024,
        });
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
        throw new SteleError(
          "failed-precondition",
          `Building the bundle failed: ${stderr.split("\n").slice(-5).join("; ") || (error as Error).message}`,
          "Run `npm run build` to see esbuild's full output",
          { cause: error },
        );
      }
      const content = await readFile(join(repoRoot, "dist", "stele.mjs"));
      const chunksDir = join(repoRoot, "dist", "chunks");
      const names = (await readdir(chunksDir)).filter((name) => name.endsWith(".mjs")).sort();
      const chunks = await Promise.all(
        names.map(async (name) => ({ name, content: await readFile(join(chunksDir, name)) })),
      );
      const hash = createHash("sha256").update(content);
      for (const chunk of chunks) hash.update(`\0${chunk.name}\0`).update(chunk.content);
      return { content, chunks, sha256: hash.digest("hex") };
    },
    { onWait: options.onWait },
  );
}
