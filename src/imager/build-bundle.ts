import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { SteleError } from "../machinery/errors.ts";
import { withHostLock } from "./host-lock.ts";

const run = promisify(execFile);

/** The bundle of Stele's userland as built now. */
export interface BuiltBundle {
  content: Buffer;
  sha256: string;
}

/**
 * Builds dist/stele.mjs with the repository's scripts/build.sh (esbuild, deterministic) and returns
 * its bytes. Two builds in the same checkout take turns (they write the same file), and the bytes
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
      return { content, sha256: createHash("sha256").update(content).digest("hex") };
    },
    { onWait: options.onWait },
  );
}
