import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { DebianError } from "./debian-error.ts";
import { aptArchiveFileName, fetchDebs } from "./fetch-debs.ts";
import { sha256File } from "./verify-deb.ts";

// Real apt against deb.debian.org, with two of the image's smallest packages (~120 kB).
const cacheDir = mkdtempSync(join(tmpdir(), "fetch-debs-"));
after(() => rmSync(cacheDir, { recursive: true, force: true }));
const NAMES = ["libseccomp2", "libgcc-s1"];

test("apt's file names: epochs and underscores percent-encoded", () => {
  assert.equal(
    aptArchiveFileName({ name: "containerd", version: "1.7.24~ds1-6+deb13u1", architecture: "amd64" }),
    "containerd_1.7.24~ds1-6+deb13u1_amd64.deb",
  );
  assert.equal(
    aptArchiveFileName({ name: "x", version: "1:2.0_1", architecture: "all" }),
    "x_1%3a2.0%5f1_all.deb",
  );
});

test("fetch, then reuse the cache without apt-get update, then replace a corrupted cached .deb", async () => {
  const progress: string[] = [];
  const first = await fetchDebs(NAMES, { cacheDir, onProgress: (m) => progress.push(m) });
  assert.deepEqual(
    first.map((deb) => deb.name),
    NAMES,
  );
  for (const deb of first) {
    assert.equal(await sha256File(deb.path), deb.sha256);
    assert.equal(basename(deb.path), aptArchiveFileName(deb));
  }
  assert.ok(progress.some((m) => m.startsWith("Updating the Debian package lists")));
  assert.ok(progress.some((m) => m.startsWith("Downloading libseccomp2 libgcc-s1")));
  const stamp = statSync(join(cacheDir, "lists-updated")).mtimeMs;

  const [seccomp] = first;
  const bytes = readFileSync(seccomp!.path);
  bytes[100]! ^= 0xff;
  writeFileSync(seccomp!.path, bytes);

  progress.length = 0;
  const second = await fetchDebs(NAMES, { cacheDir, onProgress: (m) => progress.push(m) });
  assert.deepEqual(second, first);
  assert.equal(await sha256File(seccomp!.path), seccomp!.sha256);
  assert.deepEqual(progress, [
    `Cached libseccomp2 ${seccomp!.version} does not match the signed index: fetching it again`,
    `Downloading libseccomp2 (${(seccomp!.size / 1e6).toFixed(1)} MB)`,
  ]);
  assert.equal(statSync(join(cacheDir, "lists-updated")).mtimeMs, stamp, "fresh lists: no apt-get update");

  progress.length = 0;
  await fetchDebs(NAMES, { cacheDir, onProgress: (m) => progress.push(m) });
  assert.deepEqual(progress, [], "all cached and verified: nothing to do");
});

test("a package missing from the index is named, after one apt-get update", async () => {
  const progress: string[] = [];
  await assert.rejects(
    fetchDebs(["libseccomp2", "stele-no-such-package"], { cacheDir, onProgress: (m) => progress.push(m) }),
    (error: unknown) => {
      assert.ok(error instanceof DebianError);
      assert.equal(error.reason, "not-found");
      assert.equal(error.message, "Package not found in Debian trixie main: stele-no-such-package");
      return true;
    },
  );
  assert.equal(progress.filter((m) => m.startsWith("Updating")).length, 1);
});
