import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isSteleError } from "../machinery/errors.ts";
import { ensureNodeImages } from "./ensure-node-images.ts";

const MAIN = join(import.meta.dirname, "main.ts");
const dir = mkdtempSync(join(tmpdir(), "imager-main-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });

test("--help prints the usage; an unknown flag is a usage error", () => {
  const help = run("--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: node src\/imager\/main\.ts \[--output-dir DIR\]/);
  const bad = run("--bogus");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: Unknown option '--bogus'/);
});

test("a failure of a leaf package reaches the user as a Stele error with a hint", async () => {
  const cacheDir = join(dir, 'bad"cache');
  await assert.rejects(ensureNodeImages({ outputDir: join(dir, "out"), cacheDir }), (error: unknown) => {
    assert.ok(isSteleError(error));
    assert.equal(error.code, "failed-precondition");
    assert.match(error.message, /^Invalid path for a private apt configuration: /);
    assert.ok(error.hint);
    return true;
  });
  const cli = run("--output-dir", join(dir, "out"), "--cache-dir", cacheDir);
  assert.equal(cli.status, 1);
  assert.match(
    cli.stderr,
    /^error: Invalid path for a private apt configuration: .*\nhint: Use a cache directory/m,
  );
});
