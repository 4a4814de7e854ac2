import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { type CpioEntry, readNewc, writeNewc } from "./index.ts";

const sample: CpioEntry[] = [
  { type: "file", path: "usr/bin/node", mode: 0o755, content: Buffer.from("#!binary\n") },
  { type: "file", path: "init", mode: 0o755, content: Buffer.from("#!/usr/bin/node\n") },
  { type: "directory", path: "proc", mode: 0o555 },
  { type: "symlink", path: "lib64", target: "usr/lib64" },
  { type: "char-device", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
  { type: "file", path: "empty", mode: 0o644, content: new Uint8Array(0) },
  { type: "directory", path: "tmp", mode: 0o1777 },
];

describe("writeNewc", () => {
  test("reads back every entry with its type, mode, target and device numbers, owned by 0:0", () => {
    const read = readNewc(writeNewc(sample, { mtime: 1_700_000_000 }));
    const byPath = new Map(read.map((entry) => [entry.path, entry]));
    for (const entry of sample) {
      const got = byPath.get(entry.path);
      assert.ok(got, entry.path);
      assert.equal(got.type, entry.type);
      if (entry.type === "file" && got.type === "file") {
        assert.deepEqual(Buffer.from(got.content), Buffer.from(entry.content));
        assert.equal(got.mode, entry.mode);
      }
      if (entry.type === "symlink" && got.type === "symlink") assert.equal(got.target, entry.target);
      if (entry.type === "char-device" && got.type === "char-device") {
        assert.deepEqual([got.major, got.minor, got.mode], [5, 1, 0o600]);
      }
      if (entry.type === "directory") assert.equal((got as { mode: number }).mode, entry.mode);
      assert.deepEqual([got.uid, got.gid, got.mtime], [0, 0, 1_700_000_000]);
    }
  });

  test("adds missing parent directories at 0755, before their children", () => {
    const paths = readNewc(writeNewc(sample)).map((entry) => entry.path);
    for (const parent of ["usr", "usr/bin", "dev"]) {
      assert.ok(paths.includes(parent), parent);
      assert.ok(
        paths.indexOf(parent) < paths.indexOf(`${parent === "dev" ? "dev/console" : "usr/bin/node"}`),
      );
    }
    const usr = readNewc(writeNewc(sample)).find((entry) => entry.path === "usr");
    assert.deepEqual(usr && usr.type === "directory" ? usr.mode : undefined, 0o755);
  });

  test("ends with TRAILER!!! and keeps every header and the whole archive 4-byte aligned", () => {
    const archive = writeNewc(sample);
    assert.equal(archive.length % 4, 0);
    const trailer = archive.lastIndexOf("TRAILER!!!");
    assert.ok(trailer > 0);
    assert.equal(archive.toString("ascii", trailer - 110, trailer - 104), "070701");
    assert.equal((trailer - 110) % 4, 0);
  });

  test("the same entries in any order give the same bytes", () => {
    const reference = writeNewc(sample);
    fc.assert(
      fc.property(fc.shuffledSubarray(sample, { minLength: sample.length }), (shuffled) => {
        assert.deepEqual(writeNewc(shuffled), reference);
      }),
      { numRuns: 50 },
    );
  });

  test("round-trips arbitrary files byte for byte", () => {
    const name = fc.stringMatching(/^[a-z0-9_.-]{1,12}$/).filter((part) => part !== "." && part !== "..");
    const files = fc.uniqueArray(
      fc.record({
        path: fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => `f/${parts.join("/")}`),
        mode: fc.integer({ min: 0, max: 0o7777 }),
        content: fc.uint8Array({ maxLength: 64 }),
      }),
      { selector: (file) => file.path, maxLength: 8 },
    );
    fc.assert(
      fc.property(files, (list) => {
        // A path that is a prefix directory of another cannot also be a file: keep the leaves.
        const leaves = list.filter((a) => !list.some((b) => b.path.startsWith(`${a.path}/`)));
        const entries: CpioEntry[] = leaves.map((file) => ({ type: "file", ...file }));
        const read = readNewc(writeNewc(entries));
        for (const file of leaves) {
          const got = read.find((entry) => entry.path === file.path);
          assert.ok(got && got.type === "file");
          assert.deepEqual(Buffer.from(got.content), Buffer.from(file.content));
          assert.equal(got.mode, file.mode);
        }
      }),
      { numRuns: 200 },
    );
  });

  const invalid: Array<[string, CpioEntry[]]> = [
    ["a path given twice", [sample[0]!, sample[0]!]],
    ["a `..` segment", [{ type: "directory", path: "a/../b", mode: 0o755 }]],
    ["an absolute path", [{ type: "directory", path: "/etc", mode: 0o755 }]],
    [
      "an entry below a file",
      [
        { type: "file", path: "a", mode: 0o644, content: new Uint8Array(0) },
        { type: "file", path: "a/b", mode: 0o644, content: new Uint8Array(0) },
      ],
    ],
  ];
  for (const [what, entries] of invalid) {
    test(`refuses ${what}`, () => {
      assert.throws(() => writeNewc(entries), { name: "SteleError", code: "invalid-argument" });
    });
  }
});

describe("readNewc", () => {
  test("refuses an archive that is not newc, and a truncated one", () => {
    assert.throws(() => readNewc(Buffer.from("not a cpio archive at all, certainly not newc ".repeat(4))), {
      message: /expected the newc magic/,
    });
    const archive = writeNewc(sample);
    assert.throws(() => readNewc(archive.subarray(0, archive.length - 120)), { message: /truncated/ });
  });
});

// The host's own cpio (or bsdtar) is the independent reader; this machine may have neither, and
// nothing is installed for a test, so the check runs where one is present.
const hostTool = ["cpio", "bsdtar"].find((tool) => spawnSync("which", [tool]).status === 0);
describe("host cpio", {
  skip: hostTool === undefined ? "neither cpio nor bsdtar is installed" : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "cpio-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  test(`${hostTool} lists and extracts what writeNewc wrote`, () => {
    const archive = join(dir, "a.cpio");
    writeFileSync(archive, writeNewc(sample.filter((entry) => entry.type !== "char-device")));
    const list = (
      hostTool === "cpio"
        ? execFileSync("cpio", ["-t", "--quiet", "-F", archive])
        : execFileSync("bsdtar", ["-tf", archive])
    )
      .toString()
      .trim()
      .split("\n")
      .sort();
    assert.deepEqual(list, ["empty", "init", "lib64", "proc", "tmp", "usr", "usr/bin", "usr/bin/node"]);
    const out = join(dir, "x");
    execFileSync("mkdir", ["-p", out]);
    if (hostTool === "cpio") execFileSync("cpio", ["-i", "-d", "--quiet", "-F", archive], { cwd: out });
    else execFileSync("bsdtar", ["-xf", archive, "-C", out]);
    assert.equal(readFileSync(join(out, "usr/bin/node"), "utf8"), "#!binary\n");
    assert.equal(statSync(join(out, "init")).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(out, "lib64")), "usr/lib64");
  });
});
