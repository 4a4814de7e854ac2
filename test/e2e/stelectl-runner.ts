/**
 * Running the real `stelectl` from an end-to-end test, against the client config the test made:
 * `run` returns what it printed and its status; `ok` also asserts it succeeded, quoting its output.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const STELECTL = join(import.meta.dirname, "..", "..", "bin", "stelectl.js");

/** What one stelectl run printed, and how it exited. */
export interface StelectlRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The two ways a test runs stelectl, with `STELECONFIG` set to what `clientConfig()` says then. */
export interface StelectlRunner {
  run(args: readonly string[], timeoutMs?: number): StelectlRun;
  ok(args: readonly string[], timeoutMs?: number): string;
}

/** A runner using the client config path `clientConfig()` returns at each call (tests set it in `before`). */
export function stelectlRunner(clientConfig: () => string): StelectlRunner {
  const run = (args: readonly string[], timeoutMs = 120_000): StelectlRun => {
    const result = spawnSync(process.execPath, [STELECTL, ...args], {
      encoding: "utf8",
      timeout: timeoutMs,
      env: { ...process.env, STELECONFIG: clientConfig() },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    run,
    ok(args, timeoutMs) {
      const result = run(args, timeoutMs);
      assert.equal(
        result.status,
        0,
        `stelectl ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`,
      );
      return result.stdout;
    },
  };
}
