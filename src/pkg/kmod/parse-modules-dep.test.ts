import assert from "node:assert/strict";
import { test } from "node:test";
import { KmodError } from "./kmod-error.ts";
import { parseModulesDep } from "./parse-modules-dep.ts";

// A few lines of a real modules.dep (Debian 12's cloud kernel), as depmod writes it.
const SAMPLE = `kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
`;

test("each line is a module with its dependencies, by name, in the file's order", () => {
  const modules = parseModulesDep(SAMPLE);
  assert.equal(modules.size, 6);
  assert.deepEqual(modules.get("virtio_net"), {
    name: "virtio_net",
    path: "kernel/drivers/net/virtio_net.ko",
    compression: "none",
    dependencies: ["net_failover", "failover", "virtio", "virtio_ring"],
  });
  assert.deepEqual(modules.get("virtio_ring")?.dependencies, []);
});

test("compressed module files and names with - are read as modprobe reads them", () => {
  const modules = parseModulesDep(
    "kernel/arch/x86/crypto/crc32c-intel.ko.zst: kernel/crypto/crc32c_generic.ko.xz\nkernel/crypto/crc32c_generic.ko.xz:\n",
  );
  assert.deepEqual(modules.get("crc32c_intel"), {
    name: "crc32c_intel",
    path: "kernel/arch/x86/crypto/crc32c-intel.ko.zst",
    compression: "zstd",
    dependencies: ["crc32c_generic"],
  });
  assert.equal(modules.get("crc32c_generic")?.compression, "xz");
});

const INVALID: ReadonlyArray<[string, string, string]> = [
  ["a line without a colon", "kernel/a.ko\n", 'Invalid modules.dep line 1: "kernel/a.ko"'],
  ["a path that is not a module", "\nkernel/a.txt:\n", 'Invalid modules.dep line 2: "kernel/a.txt:"'],
  [
    "a dependency that is not a module",
    "kernel/a.ko: kernel/b\n",
    'Invalid modules.dep line 1: "kernel/b" is not a module file',
  ],
  [
    "a module listed twice",
    "kernel/a.ko:\nextra/a.ko.xz:\n",
    "Invalid modules.dep line 2: module a is listed twice (kernel/a.ko and extra/a.ko.xz)",
  ],
];

for (const [what, text, message] of INVALID) {
  test(`${what} is an error naming the line`, () => {
    assert.throws(
      () => parseModulesDep(text),
      (error: unknown) =>
        error instanceof KmodError && error.code === "invalid-argument" && error.message === message,
    );
  });
}
