import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { removeInitramfs } from "./remove-initramfs.ts";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "initramfs-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("removes everything but the new root, which keeps its contents", () => {
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  writeFileSync(join(root, "usr/bin/node"), "x");
  writeFileSync(join(root, "init"), "#!/usr/bin/node\n");
  symlinkSync("usr/lib", join(root, "lib"));
  mkdirSync(join(root, "newroot/usr"), { recursive: true });
  writeFileSync(join(root, "newroot/usr/keep"), "y");
  const removed = removeInitramfs(root, [join(root, "newroot")]);
  assert.deepEqual(readdirSync(root), ["newroot"]);
  assert.deepEqual(readdirSync(join(root, "newroot/usr")), ["keep"]);
  assert.equal(removed, 5);
});

test("does not follow a symlink to a directory out of the initramfs", () => {
  const outside = mkdtempSync(join(tmpdir(), "outside-"));
  try {
    writeFileSync(join(outside, "precious"), "z");
    symlinkSync(outside, join(root, "link"));
    removeInitramfs(root, []);
    assert.deepEqual(readdirSync(outside), ["precious"]);
    assert.deepEqual(readdirSync(root), []);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});
