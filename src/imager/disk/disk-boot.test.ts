/**
 * The raw disk image boots under UEFI: OVMF (pflash, q35) loads /EFI/BOOT/BOOTX64.EFI from its ESP,
 * systemd-stub starts the kernel with the embedded initramfs and command line, and stage 1 prints
 * its first line on the serial console. The same kernel and initramfs booted directly is measured
 * beside it, in the same run and with the same accelerator, for the cost of the firmware path. The
 * ISO boots the same way from q35's SATA CD-ROM, through El Torito. Under SeaBIOS (no firmware given)
 * the raw disk boots the legacy way: boot.img in the MBR, core.img in BIOS, grub.cfg in the ESP
 * loading the UKI's own kernel and initramfs by sector. So does the ISO, from a CD-ROM (GRUB's El
 * Torito image) and as a USB stick (boot_hybrid.img in its MBR), both opening the ESP image as a
 * loopback device and reading the same grub.cfg.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { LoadedConfig } from "../../app/machined/config/config-store.ts";
import { installToDisk } from "../../app/machined/install/install-to-disk.ts";
import { openBlockIo, readGpt, SteleLabel } from "../../pkg/gpt/index.ts";
import { type QemuVm, startQemuVm } from "../../provision/qemu/index.ts";
import { type DiskImages, ensureDiskImages } from "./index.ts";

const REPO = join(import.meta.dirname, "../../..");
const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/** SeaBIOS, the legacy BIOS QEMU uses by default (Debian's seabios, a dependency of qemu-system-x86). */
const SEABIOS = "/usr/share/seabios/bios-256k.bin";
/** Measured ≈ 16 s under TCG on 2 idle cores; the budget leaves room for a loaded CI machine. */
const BOOT_TIMEOUT_MS = 90_000;
const STAGE1 = /stele-init: loaded \d+ modules/;
/** The brief's budget for the legacy path under TCG (measured ≈ 20 s). */
const BIOS_BOOT_TIMEOUT_MS = 60_000;

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

/** A disk booted by QEMU's default legacy BIOS (SeaBIOS), as a machine without UEFI boots it. */
function startSeaBios(disk: string, consoleLog: string): Promise<QemuVm> {
  return startQemuVm({
    drives: [{ file: disk }],
    probeKernel: images.kernel,
    memoryMiB: 1024,
    consoleLog,
  });
}

test("SeaBIOS boots the raw disk image through GRUB to stage 1", {
  skip: !existsSync(SEABIOS) && "SeaBIOS is not installed (bash scripts/deps.sh installs qemu-system-x86)",
  timeout: BIOS_BOOT_TIMEOUT_MS + 30_000,
}, async (t) => {
  const disk = join(dir, "bios-disk.raw");
  copyFileSync(images.raw, disk);
  const vm = await startSeaBios(disk, join(dir, "bios-console.log"));
  vms.push(vm);
  const reached = await vm.waitForConsole(STAGE1, { timeoutMs: BIOS_BOOT_TIMEOUT_MS });
  const text = vm.console();
  assert.match(text, /SeaBIOS/);
  assert.match(text, /GRUB loading/, "boot.img in the MBR found core.img in the BIOS partition");
  assert.match(text, /Linux version 6\./);
  // The kernel was started by GRUB with the UKI's command line, and the initramfs was found.
  assert.match(
    text,
    /Command line: BOOT_IMAGE=\(hd0,gpt1\)\d+\+\d+ console=tty0 console=ttyS0,115200 slab_nomerge/,
  );
  assert.doesNotMatch(text, /EFI stub/, "no UEFI on this path");
  assert.doesNotMatch(text, /stele-init: error|Kernel panic|error: /);
  await vm.close();
  t.diagnostic(
    `legacy BIOS (SeaBIOS → GRUB) raw disk: stage 1 after ${(reached.elapsedMs / 1000).toFixed(1)} s`,
  );
});

/** Stage 1's line once it mounted the root it found. */
const ROOT_MOUNTED = /stele-init: root \S+ squashfs mounted read-only/;
/** GRUB started the kernel from the ESP image opened as a loopback device, with the UKI's command line. */
const GRUB_FROM_ISO =
  /Command line: BOOT_IMAGE=\(esp\)\d+\+\d+ console=tty0 console=ttyS0,115200 slab_nomerge/;

let cdromVm: QemuVm | undefined;

test("SeaBIOS boots the ISO from a CD-ROM through GRUB's El Torito image to stage 1", {
  skip: !existsSync(SEABIOS) && "SeaBIOS is not installed (bash scripts/deps.sh installs qemu-system-x86)",
  timeout: BIOS_BOOT_TIMEOUT_MS + 30_000,
}, async (t) => {
  const vm = await startQemuVm({
    cdrom: images.iso,
    accelerator: "tcg",
    memoryMiB: 1024,
    consoleLog: join(dir, "bios-cdrom-console.log"),
  });
  vms.push(vm);
  cdromVm = vm;
  const reached = await vm.waitForConsole(STAGE1, { timeoutMs: BIOS_BOOT_TIMEOUT_MS });
  const text = vm.console();
  assert.match(text, /Booting from DVD\/CD/);
  assert.match(text, GRUB_FROM_ISO);
  assert.doesNotMatch(text, /EFI stub/, "no UEFI on this path");
  assert.doesNotMatch(text, /Kernel panic|error: /);
  t.diagnostic(
    `legacy BIOS (SeaBIOS → El Torito → GRUB) ISO as a CD-ROM, TCG: stage 1 after ${(reached.elapsedMs / 1000).toFixed(1)} s`,
  );
});

test("stage 1 booted by SeaBIOS from the CD-ROM finds the squashfs on /dev/sr0", {
  skip: !existsSync(SEABIOS) && "SeaBIOS is not installed (bash scripts/deps.sh installs qemu-system-x86)",
  timeout: 30_000,
}, async () => {
  assert.ok(cdromVm, "the CD-ROM boot above ran");
  try {
    // Stage 1 says at once when it finds no root: wait for that too, not for the timeout.
    await cdromVm.waitForConsole(new RegExp(`${ROOT_MOUNTED.source}|stele-init: error: .*`), {
      timeoutMs: 20_000,
    });
    assert.match(cdromVm.console(), /stele-init: root squashfs on partition \d+ \(.*\) of \/dev\/sr0/);
    assert.match(cdromVm.console(), ROOT_MOUNTED);
  } finally {
    await cdromVm.close();
  }
});

test("SeaBIOS boots the ISO written to a USB stick (a disk) through boot_hybrid.img and GRUB to its root", {
  skip: !existsSync(SEABIOS) && "SeaBIOS is not installed (bash scripts/deps.sh installs qemu-system-x86)",
  timeout: BIOS_BOOT_TIMEOUT_MS + 30_000,
}, async (t) => {
  const vm = await startQemuVm({
    drives: [{ file: images.iso, readOnly: true }],
    accelerator: "tcg",
    memoryMiB: 1024,
    consoleLog: join(dir, "bios-usb-console.log"),
  });
  vms.push(vm);
  const reached = await vm.waitForConsole(STAGE1, { timeoutMs: BIOS_BOOT_TIMEOUT_MS });
  await vm.waitForConsole(ROOT_MOUNTED, { timeoutMs: 20_000 });
  const text = vm.console();
  assert.match(text, /Booting from Hard Disk/);
  assert.match(text, GRUB_FROM_ISO);
  assert.match(text, /stele-init: root squashfs on partition \d+ \(.*\) of \/dev\/vda/);
  assert.doesNotMatch(text, /Kernel panic|error: /);
  await vm.close();
  t.diagnostic(
    `legacy BIOS ISO as a USB stick, TCG: stage 1 after ${(reached.elapsedMs / 1000).toFixed(1)} s`,
  );
});

test("SeaBIOS boots a disk the installer wrote from the raw image, through GRUB to stage 1", {
  skip: !existsSync(SEABIOS) && "SeaBIOS is not installed (bash scripts/deps.sh installs qemu-system-x86)",
  timeout: BIOS_BOOT_TIMEOUT_MS + 60_000,
}, async (t) => {
  // The node booted from the raw image (the medium) installs onto a blank 3 GiB disk. The calls are
  // the installer's own over files, except what needs a kernel: STATE and EPHEMERAL stay blank (the
  // installed node formats them on its first boot) and GRUB's images come out of the squashfs, as
  // the node reads them from its running root.
  const medium = images.raw;
  const { table: mediumTable } = readGpt(medium);
  const bootA = mediumTable.partitions.find((p) => p.name === SteleLabel.bootA)!;
  const target = join(dir, "installed.raw");
  writeFileSync(target, "");
  truncateSync(target, 3 * 1024 * 1024 * 1024);
  const fromRoot = (name: string) =>
    execFileSync("unsquashfs", ["-cat", images.rootfs, `usr/lib/stele/grub/${name}`], { maxBuffer: 1 << 24 });
  const lines: string[] = [];
  await installToDisk(
    {
      record: {
        schema: 1,
        root: "/dev/vda3",
        disk: medium,
        partition: {
          index: bootA.number,
          name: bootA.name,
          guid: bootA.guid,
          offset: bootA.firstLba * 512,
          size: (bootA.lastLba - bootA.firstLba + 1) * 512,
        },
        medium: "disk",
      },
      disk: target,
      wipe: false,
      config: { text: "", parsed: {}, warnings: [] } as unknown as LoadedConfig,
    },
    {
      resolve: (path) => path,
      kind: () => "disk",
      open: (device, writable) => openBlockIo(device, { writable }),
      rereadPartitions: async (disk, _io, count) =>
        new Map(Array.from({ length: count }, (_, i) => [i + 1, `${disk}-part${i + 1}`])),
      formatExt4: () => {},
      withMountedState: () => {},
      writeConfig: () => {},
      grubBiosImages: () => ({ bootImg: fromRoot("boot.img"), coreImg: fromRoot("core.img") }),
      log: (line) => lines.push(line),
    },
  );
  assert.ok(
    lines.some((line) =>
      /^install: BIOS: GRUB core\.img \(\d+ sectors\) at sector \d+, boot code in the MBR$/.test(line),
    ),
    lines.join("\n"),
  );
  const vm = await startSeaBios(target, join(dir, "installed-bios-console.log"));
  vms.push(vm);
  const reached = await vm.waitForConsole(STAGE1, { timeoutMs: BIOS_BOOT_TIMEOUT_MS });
  assert.match(vm.console(), /GRUB loading/);
  assert.doesNotMatch(vm.console(), /stele-init: error|Kernel panic|error: /);
  await vm.close();
  t.diagnostic(`legacy BIOS, installed disk: stage 1 after ${(reached.elapsedMs / 1000).toFixed(1)} s`);
});
