import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { selectModules } from "./kernel-modules.ts";

let dir: string;
const squashfs = Buffer.from("\x7fELF squashfs module");
const plain = Buffer.from("\x7fELF loop module");
const helper = Buffer.from("\x7fELF helper module");

before(() => {
  dir = mkdtempSync(join(tmpdir(), "modules-"));
  mkdirSync(join(dir, "kernel/fs/squashfs"), { recursive: true });
  mkdirSync(join(dir, "kernel/drivers/block"), { recursive: true });
  writeFileSync(join(dir, "kernel/fs/squashfs/squashfs.ko"), squashfs);
  execFileSync("xz", ["--check=crc32", join(dir, "kernel/fs/squashfs/squashfs.ko")]);
  writeFileSync(join(dir, "kernel/drivers/block/loop.ko"), plain);
  mkdirSync(join(dir, "kernel/lib"), { recursive: true });
  writeFileSync(join(dir, "kernel/lib/helper.ko"), helper);
  // As depmod writes it: loop needs helper, which must be loaded first.
  writeFileSync(
    join(dir, "modules.dep"),
    "kernel/fs/squashfs/squashfs.ko.xz:\nkernel/drivers/block/loop.ko: kernel/lib/helper.ko\nkernel/lib/helper.ko:\n",
  );
  writeFileSync(
    join(dir, "modules.builtin"),
    "kernel/drivers/virtio/virtio_ring.ko\nkernel/drivers/virtio/virtio-pci.ko\n",
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("orders modules after what they need, decompressing .ko.xz, and skips built-in ones", async () => {
  const selected = await selectModules(dir, ["virtio_ring", "loop", "virtio_pci", "squashfs"]);
  assert.deepEqual(
    selected.modules.map((module) => module.name),
    ["helper", "loop", "squashfs"],
  );
  assert.deepEqual(selected.modules[0]!.content, helper);
  assert.deepEqual(selected.modules[1]!.content, plain);
  assert.deepEqual(selected.modules[2]!.content, squashfs);
  assert.deepEqual(selected.builtin, ["virtio_ring", "virtio_pci"]);
});

test("fails on a module the kernel neither builds in nor ships", async () => {
  await assert.rejects(selectModules(dir, ["loop", "virtio_scsi"]), {
    name: "SteleError",
    message: /Kernel module not found: virtio_scsi/,
  });
});
