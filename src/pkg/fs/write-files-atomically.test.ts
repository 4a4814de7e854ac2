import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { writeFilesAtomically } from "./write-files-atomically.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-atomic-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("writes every file with the mode it was given", () => {
  writeFilesAtomically([
    { path: join(dir, "a.yaml"), content: "a: 1\n", mode: 0o600 },
    { path: join(dir, "b.yaml"), content: "b: 2\n", mode: 0o644 },
  ]);
  assert.equal(readFileSync(join(dir, "a.yaml"), "utf8"), "a: 1\n");
  assert.equal(statSync(join(dir, "a.yaml")).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "b.yaml")).mode & 0o777, 0o644);
});

test("a failure part-way leaves the old files untouched and no temporary file behind", () => {
  writeFileSync(join(dir, "a.yaml"), "old\n");
  assert.throws(() =>
    writeFilesAtomically([
      { path: join(dir, "a.yaml"), content: "new\n", mode: 0o600 },
      { path: join(dir, "missing-dir", "b.yaml"), content: "b\n", mode: 0o600 },
    ]),
  );
  assert.equal(readFileSync(join(dir, "a.yaml"), "utf8"), "old\n");
  assert.deepEqual(readdirSync(dir), ["a.yaml"]);
});
