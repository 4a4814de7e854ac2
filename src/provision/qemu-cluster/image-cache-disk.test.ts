import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import fc from "fast-check";
import { extLabel, hasExtSuperblock } from "../../app/machined/storage/ext4.ts";
import { SYSTEM_IMAGE_CACHE_CALLS } from "../../app/machined/storage/mount-image-cache.ts";
import { buildImageCacheDisk, imageCacheDiskBytes } from "./image-cache-disk.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "image-cache-disk-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** debugfs (e2fsprogs) reads the file system without mounting it. */
function debugfs(image: string, request: string): string {
  const result = spawnSync("debugfs", ["-R", request, image], { encoding: "latin1", maxBuffer: 2 ** 28 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test("the disk is an ext4 file system labelled IMAGECACHE that machined finds, holding the archives byte for byte, owned by root", () => {
  const etcd = join(dir, "etcd.oci.tar");
  const pause = join(dir, "pause.oci.tar");
  const etcdBytes = randomBytes(3 * 2 ** 20 + 17);
  writeFileSync(etcd, etcdBytes);
  writeFileSync(pause, randomBytes(4096));
  const disk = join(dir, "image-cache.ext4");
  const size = buildImageCacheDisk([etcd, pause], disk);
  assert.equal(statSync(disk).size, size);
  const superblock = SYSTEM_IMAGE_CACHE_CALLS.read(disk, 1024, 1024);
  assert.ok(hasExtSuperblock(superblock));
  assert.equal(extLabel(superblock), "IMAGECACHE");
  const listing = debugfs(disk, "ls -l /");
  assert.match(listing, /100644 \(1\)\s+0\s+0\s+3145745 .* etcd\.oci\.tar/);
  assert.match(listing, /100644 \(1\)\s+0\s+0\s+4096 .* pause\.oci\.tar/);
  assert.equal(Buffer.from(debugfs(disk, "cat /etcd.oci.tar"), "latin1").equals(etcdBytes), true);
  assert.deepEqual(
    readdirSync(dir).sort(),
    ["etcd.oci.tar", "image-cache.ext4", "pause.oci.tar"],
    "no staging left",
  );
});

test("archives of any size fit, with at most a few MiB to spare", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 24 * 2 ** 20 }), { minLength: 1, maxLength: 3 }),
      (sizes) => {
        rmSync(dir, { recursive: true, force: true });
        dir = mkdtempSync(join(tmpdir(), "image-cache-disk-"));
        const archives = sizes.map((size, i) => {
          const file = join(dir, `image-${i}.tar`);
          writeFileSync(file, randomBytes(size));
          return file;
        });
        const size = buildImageCacheDisk(archives, join(dir, "cache.ext4"));
        const total = sizes.reduce((a, b) => a + b, 0);
        assert.equal(size, imageCacheDiskBytes(total));
        assert.ok(size - total <= 10 * 2 ** 20 + total * 0.04, `${size - total} bytes spare for ${total}`);
      },
    ),
    { numRuns: 6 },
  );
});

test("a failing mkfs removes the half-made disk and says what to install", () => {
  const archive = join(dir, "etcd.oci.tar");
  writeFileSync(archive, "x");
  const disk = join(dir, "cache.ext4");
  assert.throws(() => buildImageCacheDisk([archive], disk, { mkfs: "stele-no-such-mkfs" }), {
    code: "io",
    message: /^Cannot build the image-cache disk .*cache\.ext4: stele-no-such-mkfs /,
    hint: /e2fsprogs/,
  });
  assert.equal(existsSync(disk), false);
});
