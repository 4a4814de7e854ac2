import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DebianError } from "./debian-error.ts";
import { extractDeb } from "./extract-deb.ts";
import { debMatchesIndex, sha256File, verifyDeb } from "./verify-deb.ts";

let dir: string;
let deb: string;
let entry: { name: string; version: string; sha256: string };

// A real .deb, built with dpkg-deb as Debian builds them, so the check sees the real format.
before(() => {
  dir = mkdtempSync(join(tmpdir(), "verify-deb-"));
  const tree = join(dir, "tree");
  mkdirSync(join(tree, "DEBIAN"), { recursive: true });
  mkdirSync(join(tree, "usr/lib/x86_64-linux-gnu"), { recursive: true });
  writeFileSync(
    join(tree, "DEBIAN/control"),
    "Package: stele-test\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: Stele <dev@stele.invalid>\nDescription: test\n",
  );
  writeFileSync(join(tree, "usr/lib/x86_64-linux-gnu/libtest.so.1.2"), "not really a library\n", {
    mode: 0o644,
  });
  symlinkSync("libtest.so.1.2", join(tree, "usr/lib/x86_64-linux-gnu/libtest.so.1"));
  deb = join(dir, "stele-test_1.0-1_amd64.deb");
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "-b", tree, deb], { stdio: "ignore" });
  entry = {
    name: "stele-test",
    version: "1.0-1",
    sha256: createHash("sha256").update(readFileSync(deb)).digest("hex"),
  };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("a .deb matching the index is accepted", async () => {
  assert.equal(await sha256File(deb), entry.sha256);
  await verifyDeb(deb, entry);
  assert.equal(await debMatchesIndex(deb, entry), true);
  assert.equal(await debMatchesIndex(join(dir, "absent.deb"), entry), false);
});

test("a tampered .deb is refused, naming the package, the expected and the actual hash", async () => {
  const tampered = join(dir, "tampered.deb");
  const bytes = readFileSync(deb);
  bytes[bytes.length - 10]! ^= 0xff;
  writeFileSync(tampered, bytes);
  const actual = createHash("sha256").update(bytes).digest("hex");
  assert.equal(await debMatchesIndex(tampered, entry), false);
  await assert.rejects(verifyDeb(tampered, entry), (error: unknown) => {
    assert.ok(error instanceof DebianError);
    assert.equal(error.reason, "integrity");
    assert.equal(
      error.message,
      `Package stele-test 1.0-1 does not match the signed index: expected SHA256 ${entry.sha256}, got ${actual}`,
    );
    assert.ok(error.hint.length > 0);
    return true;
  });
});

test("extraction yields the package's files, modes and symlinks", async () => {
  const out = join(dir, "out");
  await extractDeb(deb, out);
  const lib = join(out, "usr/lib/x86_64-linux-gnu");
  assert.equal(readFileSync(join(lib, "libtest.so.1.2"), "utf8"), "not really a library\n");
  assert.equal(statSync(join(lib, "libtest.so.1.2")).mode & 0o777, 0o644);
  assert.equal(readlinkSync(join(lib, "libtest.so.1")), "libtest.so.1.2");
});

test("a file that is not a .deb cannot be extracted, and dpkg-deb's reason is quoted", async () => {
  const bogus = join(dir, "bogus.deb");
  writeFileSync(bogus, "this is certainly not an ar archive\n");
  await assert.rejects(extractDeb(bogus, join(dir, "out2")), (error: unknown) => {
    assert.ok(error instanceof DebianError);
    assert.match(error.message, /^dpkg-deb -x .* failed: .*not a Debian format archive/);
    return true;
  });
});
