import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeModuleName, parseModulePath } from "./module-name.ts";

const PATHS: ReadonlyArray<[string, ReturnType<typeof parseModulePath>]> = [
  ["kernel/drivers/virtio/virtio_ring.ko", { name: "virtio_ring", compression: "none" }],
  ["kernel/drivers/block/virtio_blk.ko.xz", { name: "virtio_blk", compression: "xz" }],
  ["kernel/fs/squashfs/squashfs.ko.zst", { name: "squashfs", compression: "zstd" }],
  ["kernel/lib/crc-itu-t.ko.gz", { name: "crc_itu_t", compression: "gzip" }],
  ["kernel/arch/x86/crypto/aesni-intel.ko.xz", { name: "aesni_intel", compression: "xz" }],
  ["kernel/fs/ext4/ext4.ko.bz2", undefined],
  ["kernel/fs/ext4/readme.txt", undefined],
  ["kernel/fs/.ko", undefined],
];

for (const [path, expected] of PATHS) {
  test(`${path} is ${expected === undefined ? "not a module file" : `module ${expected.name} (${expected.compression})`}`, () => {
    assert.deepEqual(parseModulePath(path), expected);
  });
}

test("- and _ name the same module", () => {
  assert.equal(normalizeModuleName("crc32c-intel"), normalizeModuleName("crc32c_intel"));
});
