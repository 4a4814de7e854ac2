/**
 * The raw disk image boots under UEFI: OVMF (pflash, q35) loads /EFI/BOOT/BOOTX64.EFI from its ESP,
 * systemd-stub starts the kernel with the embedded initramfs and command line, and stage 1 prints
 * its first line on the serial console. The same kernel and initramfs booted directly is measured
 * beside it, in the same run and with the same accelerator, for the cost of the firmware path. The
 * ISO boots the same way from q35's SATA CD-ROM, through El Torito.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type QemuVm, startQemuVm } from "../../provision/qemu/index.ts";
import { type DiskImages, ensureDiskImages } from "./index.ts";

const REPO = join(import.meta.dirname, "../../..");
const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/** Measured ≈ 16 s under TCG on 2 idle cores; the budget leaves room for a loaded CI machine. */
const BOOT_TIMEOUT_MS = 90_000;
const STAGE1 = /stele-init: loaded \d+ modules/;

let images: DiskImages;
const vms: QemuVm[] = [];
const dir = mkdtempSync(join(tmpdir(), "disk-boot-"));

before(async () => {
  images = await ensureDiskImages({ outputDir: join(REPO, "_out", "images") });
});
after(async () => {
  for (const vm of vms) await vm.close();
  rmSync(dir, { recursive: true, force: true });
});

test("OVMF boots the raw disk image's UKI to stage 1", {
  skip: !existsSync(OVMF_CODE) && "OVMF is not installed (bash scripts/deps.sh installs it)",
  timeout: BOOT_TIMEOUT_MS + 30_000,
}, async (t) => {
  // The VM writes to its disk and to its variable store: give it copies.
  const disk = join(dir, "disk.raw");
  const vars = join(dir, "OVMF_VARS.fd");
  copyFileSync(images.raw, disk);
  copyFileSync(OVMF_VARS, vars);
  const vm = await startQemuVm({
    firmware: { code: OVMF_CODE, vars },
    drives: [{ file: disk }],
    probeKernel: images.kernel,
    memoryMiB: 1024,
    consoleLog: join(dir, "uefi-console.log"),
  });
  vms.push(vm);
  t.diagnostic(`accelerator: ${vm.accelerator.accelerator} (${vm.accelerator.reason})`);
  const reached = await vm.waitForConsole(STAGE1, { timeoutMs: BOOT_TIMEOUT_MS });
  const text = vm.console();
  assert.match(text, /EFI stub: Loaded initrd/, "systemd-stub handed the embedded initramfs to the kernel");
  assert.match(text, /Linux version 6\./);
  assert.doesNotMatch(text, /stele-init: error|Kernel panic/);
  await vm.close();
  t.diagnostic(`UEFI (OVMF) raw disk: stage 1 after ${(reached.elapsedMs / 1000).toFixed(1)} s`);

  const direct = await startQemuVm({
    kernel: images.kernel,
    initrd: images.initramfs,
    drives: [{ file: images.rootfs, readOnly: true }],
    accelerator: vm.accelerator.accelerator,
    memoryMiB: 1024,
  });
  vms.push(direct);
  const floor = await direct.waitForConsole(STAGE1, { timeoutMs: BOOT_TIMEOUT_MS });
  await direct.close();
  t.diagnostic(`direct kernel + initramfs: stage 1 after ${(floor.elapsedMs / 1000).toFixed(1)} s`);
});

test("OVMF boots the ISO from a CD-ROM to stage 1", {
  skip: !existsSync(OVMF_CODE) && "OVMF is not installed (bash scripts/deps.sh installs it)",
  timeout: BOOT_TIMEOUT_MS + 30_000,
}, async (t) => {
  const vars = join(dir, "OVMF_VARS-cdrom.fd");
  copyFileSync(OVMF_VARS, vars);
  const vm = await startQemuVm({
    firmware: { code: OVMF_CODE, vars },
    cdrom: images.iso,
    probeKernel: images.kernel,
    memoryMiB: 1024,
    consoleLog: join(dir, "cdrom-console.log"),
  });
  vms.push(vm);
  const reached = await vm.waitForConsole(STAGE1, { timeoutMs: BOOT_TIMEOUT_MS });
  assert.match(vm.console(), /BdsDxe: starting Boot\d+ "UEFI QEMU DVD-ROM/);
  assert.doesNotMatch(vm.console(), /stele-init: error|Kernel panic/);
  await vm.close();
  t.diagnostic(`UEFI (OVMF) ISO as a CD-ROM: stage 1 after ${(reached.elapsedMs / 1000).toFixed(1)} s`);
});
