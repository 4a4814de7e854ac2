/**
 * BLKPG_RESIZE_PARTITION against the real kernel, as root (skipped otherwise): a partition of a loop
 * device, registered by `partx -a`, takes the size it is told while the kernel keeps the device in use.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { attachLoopDevice, type LoopDevice, resizePartition } from "./index.ts";

const skip =
  process.getuid?.() !== 0
    ? "needs root"
    : !existsSync("/dev/loop-control")
      ? "no /dev/loop-control"
      : !["/usr/sbin/sgdisk", "/usr/bin/partx"].every(existsSync) &&
        "needs sgdisk and partx (scripts/deps.sh)";

const dir = mkdtempSync(join(tmpdir(), "pkg-linux-blkpg-"));
let loop: LoopDevice | undefined;
after(() => {
  if (loop !== undefined) {
    try {
      execFileSync("partx", ["-d", loop.path], { stdio: "ignore" });
    } catch {
      // no partitions registered
    }
    loop.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

test("resizePartition sets the kernel's size of one partition, as the GPT was grown", { skip }, () => {
  const image = join(dir, "disk.img");
  writeFileSync(image, "");
  truncateSync(image, 64 * 1024 * 1024);
  execFileSync("sgdisk", ["-o", "-n", "1:2048:+8M", "-n", "2:18432:+8M", image], { stdio: "ignore" });
  loop = attachLoopDevice(image, { readOnly: false });
  execFileSync("partx", ["-a", loop.path]);
  const sizeFile = `/sys/block/${basename(loop.path)}/${basename(loop.path)}p2/size`;
  assert.equal(readFileSync(sizeFile, "utf8").trim(), String(16384));

  const fd = openSync(loop.path, "r");
  try {
    resizePartition(fd, { number: 2, start: 18432 * 512, length: 40000 * 512 });
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(sizeFile, "utf8").trim(), "40000", "sectors of partition 2 after the resize");

  const bad = openSync(loop.path, "r");
  try {
    // A partition the kernel does not know: refused with errno, named.
    assert.throws(() => resizePartition(bad, { number: 9, start: 0, length: 512 }), /BLKPG_RESIZE_PARTITION/);
  } finally {
    closeSync(bad);
  }
});
