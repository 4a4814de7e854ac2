import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { gzipSync } from "node:zlib";
import { MAX_TAR_LINK_BYTES, TarPathError, TarWriter } from "./tar-writer.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tar-writer-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const LONG_PATH = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(40)}.log`;

const FILES: ReadonlyArray<[string, string]> = [
  ["top.txt", "hello\n"],
  ["node-1/logs/apid.log", "line 1\nline 2\n".repeat(100)],
  ["node-1/empty.txt", ""],
  ["node-1/ünïcødé/日本語.yaml", "k: v\n"],
  [LONG_PATH, "long\n"],
  ["exact/block.bin", "x".repeat(512)],
];

function archive(): Buffer {
  const tar = new TarWriter({ mtime: new Date("2026-01-02T03:04:05Z") });
  for (const [path, content] of FILES) tar.addFile(path, content);
  return tar.toBuffer();
}

test("the real tar lists every file and its parent directories", () => {
  const file = join(dir, "a.tar.gz");
  writeFileSync(file, gzipSync(archive()));
  const listed = execFileSync("tar", ["-tzf", file], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const [path] of FILES) assert.ok(listed.includes(path), `${path} in ${listed.join(", ")}`);
  assert.ok(listed.includes("node-1/"));
  assert.ok(listed.includes("node-1/logs/"));
  assert.equal(new Set(listed).size, listed.length, "each directory once");
});

test("the real tar extracts the same bytes, modes and times", () => {
  const file = join(dir, "a.tar.gz");
  writeFileSync(file, gzipSync(archive()));
  const out = join(dir, "out");
  execFileSync("mkdir", [out]);
  execFileSync("tar", ["-xzf", file, "-C", out]);
  for (const [path, content] of FILES) {
    assert.equal(readFileSync(join(out, path), "utf8"), content, path);
    const stat = statSync(join(out, path));
    assert.equal(stat.mode & 0o777, 0o600, path);
    assert.equal(stat.mtime.toISOString(), "2026-01-02T03:04:05.000Z");
  }
  assert.equal(statSync(join(out, "node-1")).mode & 0o777, 0o700);
});

test("paths a ustar header cannot hold are refused with a clear error", () => {
  const tar = new TarWriter();
  assert.throws(
    () => tar.addFile(`${"a".repeat(200)}/${"b".repeat(60)}`, ""),
    (error: unknown) => {
      assert.ok(error instanceof TarPathError);
      assert.match(error.message, /^Path too long for a tar archive: .* is 261 bytes$/);
      assert.match(error.hint, /255/);
      return true;
    },
  );
  // 101 bytes with no "/" to split at.
  assert.throws(() => tar.addFile("x".repeat(101), ""), TarPathError);
  assert.throws(() => tar.addFile("../escape", ""), /Invalid path in archive/);
  assert.throws(() => tar.addFile("/etc/passwd", ""), /Invalid path in archive/);
});

test("a path of exactly 255 bytes fits", () => {
  const path = `${"p".repeat(155)}/${"n".repeat(99)}`;
  assert.equal(Buffer.byteLength(path), 255);
  const tar = new TarWriter();
  tar.addFile(path, "ok");
  const file = join(dir, "b.tar");
  writeFileSync(file, tar.toBuffer());
  assert.ok(execFileSync("tar", ["-tf", file], { encoding: "utf8" }).split("\n").includes(path));
});

test("symbolic links, explicit modes and directories extract as written", () => {
  const tar = new TarWriter({ mtime: new Date(0) });
  tar.addDirectory("usr", { mode: 0o755 });
  tar.addDirectory("usr/bin", { mode: 0o755 });
  tar.addFile("usr/bin/tool", "#!/usr/bin/node\n", { mode: 0o755 });
  tar.addSymlink("usr/bin/alias", "tool");
  tar.addSymlink("lib", "usr/lib");
  tar.addDirectory("tmp", { mode: 0o1777 });
  const file = join(dir, "c.tar");
  writeFileSync(file, tar.toBuffer());
  const out = join(dir, "out");
  execFileSync("mkdir", [out]);
  execFileSync("tar", ["-xpf", file, "-C", out]);
  assert.equal(readlinkSync(join(out, "usr/bin/alias")), "tool");
  assert.equal(readlinkSync(join(out, "lib")), "usr/lib");
  assert.ok(lstatSync(join(out, "lib")).isSymbolicLink());
  assert.equal(statSync(join(out, "usr/bin/tool")).mode & 0o7777, 0o755);
  assert.equal(statSync(join(out, "usr")).mode & 0o7777, 0o755);
  assert.equal(statSync(join(out, "tmp")).mode & 0o7777, 0o1777);
  assert.equal(statSync(join(out, "usr/bin/tool")).mtime.getTime(), 0);
  const listing = execFileSync("tar", ["-tvf", file], { encoding: "utf8" });
  assert.match(listing, /^lrwxrwxrwx root\/root +0 1970-01-01 00:00 usr\/bin\/alias -> tool$/m);
});

test("the same entries give the same bytes", () => {
  const build = () => {
    const tar = new TarWriter({ mtime: new Date(0) });
    tar.addFile("a/b", "x", { mode: 0o644 });
    tar.addSymlink("a/c", "b");
    return tar.toBuffer();
  };
  assert.deepEqual(build(), build());
});

test("a link target that a ustar header cannot hold is refused", () => {
  const tar = new TarWriter();
  assert.throws(() => tar.addSymlink("l", "t".repeat(MAX_TAR_LINK_BYTES + 1)), TarPathError);
  assert.throws(() => tar.addSymlink("l", ""), /Invalid symbolic link target/);
  tar.addSymlink("l", "t".repeat(MAX_TAR_LINK_BYTES));
});
