import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ImageTree } from "./image-tree.ts";

const dir = mkdtempSync(join(tmpdir(), "image-tree-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function sample(): ImageTree {
  const source = join(dir, "source.bin");
  writeFileSync(source, "binary", { mode: 0o600 });
  return new ImageTree()
    .file("usr/bin/tool", source, 0o755)
    .content("etc/os-release", "ID=stele\n")
    .directory("tmp", 0o1777)
    .symlink("lib", "usr/lib")
    .directory("var");
}

test("entries come sorted, parents first, implied parents at 0755", () => {
  assert.deepEqual(
    sample()
      .entries()
      .map((e) => [e.path, e.type, "mode" in e ? e.mode.toString(8) : e.target]),
    [
      ["etc", "directory", "755"],
      ["etc/os-release", "file", "644"],
      ["lib", "symlink", "usr/lib"],
      ["tmp", "directory", "1777"],
      ["usr", "directory", "755"],
      ["usr/bin", "directory", "755"],
      ["usr/bin/tool", "file", "755"],
      ["var", "directory", "755"],
    ],
  );
});

test("written to a directory, modes are exact whatever the umask and the source's mode", async () => {
  const out = join(dir, "staged");
  const previous = process.umask(0o077);
  try {
    await sample().writeTo(out);
  } finally {
    process.umask(previous);
  }
  const mode = (path: string) => statSync(join(out, path)).mode & 0o7777;
  assert.equal(mode("."), 0o755);
  assert.equal(mode("usr/bin"), 0o755);
  assert.equal(mode("usr/bin/tool"), 0o755);
  assert.equal(mode("etc/os-release"), 0o644);
  assert.equal(mode("tmp"), 0o1777);
  assert.equal(readFileSync(join(out, "usr/bin/tool"), "utf8"), "binary");
  assert.ok(lstatSync(join(out, "lib")).isSymbolicLink());
  assert.equal(readlinkSync(join(out, "lib")), "usr/lib");
});

test("as layer entries, files carry their bytes", async () => {
  const entries = await sample().toLayerEntries();
  const tool = entries.find((e) => e.path === "usr/bin/tool");
  assert.ok(tool?.type === "file");
  assert.equal(Buffer.from(tool.content).toString(), "binary");
});

test("a path added twice, a file used as a directory, or a path leaving the root is refused", () => {
  assert.throws(() => new ImageTree().directory("a").directory("a"), /a added twice/);
  assert.throws(
    () => new ImageTree().content("a", "").content("a/b", "").entries(),
    /a is a file with entries below it/,
  );
  assert.throws(() => new ImageTree().content("../etc/passwd", ""), /Invalid path in image tree/);
});
