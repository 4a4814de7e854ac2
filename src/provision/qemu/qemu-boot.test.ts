/**
 * A real boot, end to end: the boot images are built (or found current) in _out/images, then a TCG
 * (or KVM) VM boots the Debian kernel with Stele's initramfs and the node's squashfs as a virtio
 * disk. The stage-1 init must load the modules, mount the root, switch root, and machined (PID 1)
 * must reach maintenance mode, whose apid prints the certificate fingerprint on the console.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { zstdDecompressSync } from "node:zlib";
import {
  BOOT_MODULES,
  type BootImages,
  ensureBootImages,
  readBootManifest,
} from "../../imager/boot/index.ts";
import { FORBIDDEN_PROGRAM } from "../../imager/elf-allowlist.ts";
import { readNewc } from "../../pkg/cpio/index.ts";
import { type QemuVm, startQemuVm } from "./index.ts";

const REPO = join(import.meta.dirname, "../../..");
/**
 * Measured 40–75 s under TCG on 2 cores (the higher figures while other tests load both cores, as CI's
 * concurrency does); the budget leaves room for that without hiding a boot that hangs.
 */
const BOOT_TIMEOUT_MS = 240_000;

let images: BootImages;
let vm: QemuVm | undefined;
const dir = mkdtempSync(join(tmpdir(), "qemu-boot-"));

before(async () => {
  images = await ensureBootImages({ outputDir: join(REPO, "_out", "images") });
});
after(async () => {
  await vm?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the initramfs holds the init, Node and the modules, and no shell", async () => {
  const entries = readNewc(zstdDecompressSync(readFileSync(images.initramfs)));
  const paths = new Set(entries.map((entry) => entry.path));
  for (const path of ["init", "usr/bin/node", "usr/lib/stele/stele.mjs", "dev/console", "newroot"]) {
    assert.ok(paths.has(path), `${path} is in the initramfs`);
  }
  const shells = entries
    .filter((entry) => FORBIDDEN_PROGRAM.test(basename(entry.path)))
    .map((entry) => entry.path);
  assert.deepEqual(shells, []);
  const init = entries.find((entry) => entry.path === "init");
  assert.ok(init?.type === "file" && Buffer.from(init.content).toString().startsWith("#!/usr/bin/node\n"));
  const order = entries.find((entry) => entry.path === "usr/lib/modules/load-order");
  assert.ok(order?.type === "file");
  const names = Buffer.from(order.content).toString().trim().split("\n");
  // Every module asked for that is not built in, after the modules it needs (virtio_net after failover).
  const builtin = (await readBootManifest(dirname(images.initramfs)))?.builtinModules ?? [];
  for (const name of BOOT_MODULES) assert.ok(names.includes(name) || builtin.includes(name), name);
  assert.ok(names.indexOf("failover") < names.indexOf("net_failover"), names.join(" "));
  assert.ok(names.indexOf("net_failover") < names.indexOf("virtio_net"), names.join(" "));
  for (const name of names)
    assert.ok(paths.has(`usr/lib/modules/${name}.ko`), `${name}.ko is in the initramfs`);
});

test("the kernel boots the initramfs into machined in maintenance mode", {
  timeout: BOOT_TIMEOUT_MS + 30_000,
}, async (t) => {
  const consoleLog = join(dir, "console.log");
  vm = await startQemuVm({
    kernel: images.kernel,
    initrd: images.initramfs,
    drives: [{ file: images.rootfs, readOnly: true }],
    memoryMiB: 1024,
    consoleLog,
  });
  t.diagnostic(`accelerator: ${vm.accelerator.accelerator} (${vm.accelerator.reason})`);
  const ready = await vm.waitForConsole(
    /maintenance mode: API certificate fingerprint SHA256 [0-9A-F:]{95}/,
    {
      timeoutMs: BOOT_TIMEOUT_MS,
    },
  );
  const text = vm.console();
  const lines = [
    /stele-init: loaded \d+ modules/,
    /stele-init: root \/dev\/vda squashfs mounted/,
    /stele-init: switching root/,
    /machined: .*machined starting/,
  ];
  let from = 0;
  for (const line of lines) {
    const match = line.exec(text.slice(from));
    assert.ok(match, `the console shows ${line} after the previous step:\n${text.slice(-3000)}`);
    from += match.index + match[0].length;
  }
  assert.doesNotMatch(text, /stele-init: error|Kernel panic/);
  const mb = (path: string) => `${(statSync(path).size / 1e6).toFixed(1)} MB`;
  t.diagnostic(`boot to the maintenance fingerprint: ${(ready.elapsedMs / 1000).toFixed(1)} s`);
  t.diagnostic(
    `vmlinuz ${mb(images.kernel)}, initramfs.zst ${mb(images.initramfs)}, rootfs.sqsh ${mb(images.rootfs)}`,
  );
});
