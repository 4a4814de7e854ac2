/**
 * Loop devices and block-device ioctls against the real kernel, as root (skipped otherwise): a
 * read-only window of a file shows exactly those bytes, with the size limit as its size.
 */
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  attachLoopDevice,
  blockDeviceSectorSize,
  blockDeviceSize,
  detachLoopDevice,
  encodeLoopConfig,
} from "./index.ts";

const skip =
  process.getuid?.() !== 0 ? "needs root" : !existsSync("/dev/loop-control") ? "no /dev/loop-control" : false;

const dir = mkdtempSync(join(tmpdir(), "pkg-linux-loop-"));
const attached: string[] = [];
after(() => {
  for (const path of attached) {
    try {
      detachLoopDevice(path);
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test("encodes a loop_config: fd, window, read-only and autoclear flags, file name", () => {
  const config = encodeLoopConfig(7, { offset: 4096, size: 8192, autoclear: true, fileName: "/dev/sr0" });
  assert.equal(config.length, 304);
  assert.equal(config.readUInt32LE(0), 7);
  assert.equal(config.readBigUInt64LE(32), 4096n);
  assert.equal(config.readBigUInt64LE(40), 8192n);
  assert.equal(config.readUInt32LE(60), 1 | 4);
  assert.equal(config.subarray(64, 72).toString("latin1"), "/dev/sr0");
  assert.throws(() => encodeLoopConfig(7, { offset: -1 }), { code: "invalid-argument" });
});

test("a read-only loop device over a window of a file shows exactly that window", { skip }, () => {
  const file = join(dir, "medium.img");
  const bytes = Buffer.alloc(3 * 65536);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 16)) & 0xff;
  writeFileSync(file, bytes);
  const loop = attachLoopDevice(file, { offset: 65536, size: 65536 });
  attached.push(loop.path);
  try {
    assert.match(loop.path, /^\/dev\/loop\d+$/);
    assert.equal(blockDeviceSize(loop.fd), 65536);
    assert.equal(blockDeviceSectorSize(loop.fd), 512);
    const fd = openSync(loop.path, "r");
    const seen = Buffer.alloc(65536);
    try {
      assert.equal(readSync(fd, seen, 0, seen.length, 0), 65536);
    } finally {
      closeSync(fd);
    }
    assert.ok(seen.equals(bytes.subarray(65536, 2 * 65536)));
    // Opening for writing may succeed for root; the write itself is refused.
    const rw = openSync(loop.path, "r+");
    try {
      assert.throws(() => writeSync(rw, Buffer.alloc(512), 0, 512, 0), { code: /^(EPERM|EROFS|EACCES)$/ });
    } finally {
      closeSync(rw);
    }
  } finally {
    loop.close();
    detachLoopDevice(loop.path);
  }
});
