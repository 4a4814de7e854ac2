/**
 * `init`: the stage-1 init of a Stele node, PID 1 in the initramfs (`/init` runs it). Mounts the
 * pseudo-filesystems, loads the kernel modules the machine needs, finds the root filesystem (the
 * node's squashfs: a GPT partition of any disk or CD-ROM, or a whole disk), mounts it read-only
 * with tmpfs at /system and /tmp, records how it booted in /run/stele/boot.json, switches root into
 * it and replaces itself (execve, same PID 1) with machined, which mounts STATE and EPHEMERAL. Every step prints one line on the
 * console. PID 1 must never exit (the kernel panics): any error is printed, and the machine powers
 * off after 10 s, leaving the message on screen.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BOOT_RECORD_PATH,
  type BootRecord,
  mediumOf,
  writeBootRecord,
} from "../../machinery/boot/boot-record.ts";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { readGpt } from "../../pkg/gpt/index.ts";
import {
  attachLoopDevice,
  clearCloseOnExec,
  execve,
  type LoopDevice,
  mount,
  reboot,
} from "../../pkg/linux/index.ts";
import { findRootDevice, type ProbedPartition } from "./find-root-device.ts";
import { INITRAMFS_MODULES_DIR, INITRAMFS_MODULES_ORDER, NEWROOT } from "./initramfs-layout.ts";
import { parseKernelCmdline } from "./kernel-cmdline.ts";
import { loadModules, parseModuleOrder } from "./load-modules.ts";
import { EFIVARS_DIR, readLoaderDevicePartUuid } from "./loader-device-part-uuid.ts";
import { mountNewRoot } from "./mount-new-root.ts";
import { switchRoot } from "./switch-root.ts";

/** Where the image keeps Node.js and Stele's bundle (src/imager/rootfs-layout.ts). */
const IMAGE_NODE = "/usr/bin/node";
const IMAGE_BUNDLE = "/usr/lib/stele/stele.mjs";
/** machined's whole environment: nothing of the initramfs's leaks in. */
const IMAGE_ENV: Readonly<Record<string, string>> = { PATH: "/usr/bin:/usr/sbin" };
/**
 * machined on the `metal` platform: PID 1 owning the machine (network, hardening, reboot(2), STATE
 * at `/system/state` and EPHEMERAL at `/var`, from the boot record); `--state-dir /system` places
 * the config and the container services' data under /system.
 */
const MACHINED_ARGS = ["machined", "--platform", "metal", "--state-dir", "/system", "--var-dir", "/var"];
/** How long to wait for the root device to appear after its driver loads. */
const ROOT_TIMEOUT_MS = 10_000;
/** How long an error stays on the console before the machine powers off. */
const POWEROFF_DELAY_MS = 10_000;

/** One line on the console, synchronously: PID 1 may be gone (execve) right after. */
function say(line: string): void {
  try {
    writeSync(1, `stele-init: ${line}\n`);
  } catch {
    // No console: nothing else to tell.
  }
}

let failed = false;

function fail(error: unknown): void {
  if (failed) return;
  failed = true;
  const detail = isSteleError(error)
    ? `${error.message}${error.hint ? `\nstele-init: hint: ${error.hint}` : ""}`
    : error instanceof Error
      ? error.message
      : String(error);
  say(`error: ${detail}`);
  say(`powering off in ${POWEROFF_DELAY_MS / 1000} s`);
  // The timer keeps this process (PID 1) alive; so does the interval if reboot(2) is refused.
  setTimeout(() => {
    try {
      reboot("power-off");
    } catch (rebootError) {
      say(`error: cannot power off: ${(rebootError as Error).message}`);
    }
    setInterval(() => {}, 1 << 30);
  }, POWEROFF_DELAY_MS);
}

async function stage1(): Promise<void> {
  if (process.pid !== 1 || !existsSync(INITRAMFS_MODULES_ORDER)) {
    throw new SteleError(
      "failed-precondition",
      "Refusing to run the stage-1 init outside a Stele initramfs",
      "`init` is PID 1 of a node booted from Stele's kernel and initramfs; build them with ensureBootImages",
    );
  }
  mount("proc", "/proc", { type: "proc", flags: ["nosuid", "nodev", "noexec"] });
  mount("sysfs", "/sys", { type: "sysfs", flags: ["nosuid", "nodev", "noexec"] });
  mount("devtmpfs", "/dev", { type: "devtmpfs", flags: ["nosuid"], data: "mode=755" });
  mount("tmpfs", "/run", { type: "tmpfs", flags: ["nosuid", "nodev"], data: "mode=755" });

  const modules = parseModuleOrder(readFileSync(INITRAMFS_MODULES_ORDER, "utf8"));
  const { loaded, alreadyLoaded } = loadModules(INITRAMFS_MODULES_DIR, modules);
  say(`loaded ${loaded} modules${alreadyLoaded > 0 ? ` (${alreadyLoaded} already loaded)` : ""}`);

  const cmdline = parseKernelCmdline(readFileSync("/proc/cmdline", "utf8"));
  mountEfivars();
  const root = await findRootDevice({
    requested: cmdline.get("stele.root") || undefined,
    listDisks: () => readdirSync("/sys/block"),
    readPartitions,
    readMagic,
    loaderPartUuid: () => readLoaderDevicePartUuid(),
    timeoutMs: ROOT_TIMEOUT_MS,
    sleep,
  });
  const where = root.partition
    ? `partition ${root.partition.index} (${root.partition.name || "unnamed"}) of ${root.disk}`
    : (root.disk ?? root.device);
  say(`root squashfs on ${where}, chosen by ${root.reason}`);
  let loop: LoopDevice | undefined;
  let device = root.device;
  if (device === undefined) {
    // A CD-ROM's partitions have no device nodes: a read-only loop device shows the partition.
    const { disk, partition } = root;
    if (disk === null || partition === null) throw new SteleError("internal", "Root without a device");
    loop = attachLoopDevice(disk, { offset: partition.offset, size: partition.size, autoclear: true });
    device = loop.path;
    say(`${device} attached read-only to ${disk} at byte ${partition.offset}`);
  }
  mountNewRoot(device, NEWROOT);
  // With autoclear, the loop device lives as long as the mount holds it: the fd may go now.
  loop?.close();
  say(`root ${device} squashfs mounted read-only`);
  const record: BootRecord = {
    schema: 1,
    root: device,
    disk: root.disk,
    partition: root.partition,
    medium: mediumOf(root.partition),
  };
  writeBootRecord(record);
  say(`boot medium: ${record.medium} (${BOOT_RECORD_PATH})`);

  say("switching root");
  switchRoot(NEWROOT);
  for (const fd of [0, 1, 2]) clearCloseOnExec(fd);
  execve(IMAGE_NODE, { argv: [IMAGE_NODE, IMAGE_BUNDLE, ...MACHINED_ARGS], env: IMAGE_ENV });
}

/**
 * Mounts efivarfs where the kernel made its mount point (a UEFI boot), so LoaderDevicePartUUID can be
 * read; without UEFI, or without the efivarfs driver, the root is found without it.
 */
function mountEfivars(): void {
  if (!existsSync(EFIVARS_DIR)) return;
  try {
    // Read-only: a writable efivarfs lets any root process rewrite boot entries or, on some
    // firmware, brick the machine; nothing in Stele writes EFI variables yet.
    mount("efivarfs", EFIVARS_DIR, { type: "efivarfs", flags: ["rdonly", "nosuid", "nodev", "noexec"] });
    say(`efivarfs mounted read-only at ${EFIVARS_DIR}`);
  } catch (error) {
    say(`efivarfs not mounted (the root is found without LoaderDevicePartUUID): ${(error as Error).message}`);
  }
}

/** The partitions of /dev/<disk>'s GPT with their byte ranges; undefined without a readable GPT. */
function readPartitions(disk: string): ProbedPartition[] | undefined {
  try {
    const { table } = readGpt(`/dev/${disk}`);
    return table.partitions.map((p) => ({
      number: p.number,
      name: p.name,
      guid: p.guid,
      type: p.type,
      offset: p.firstLba * table.sectorSize,
      size: (p.lastLba - p.firstLba + 1) * table.sectorSize,
    }));
  } catch {
    return undefined;
  }
}

/** 4 bytes of /dev/<name> at `offset` as latin1 text, undefined while the node is missing or unreadable. */
function readMagic(name: string, offset: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/dev/${name}`, "r");
    const buffer = Buffer.alloc(4);
    return readSync(fd, buffer, 0, 4, offset) === 4 ? buffer.toString("latin1") : "";
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
// PID 1 of the machine gets no default signal actions; the init has nothing to do on these.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => {});
await stage1().catch(fail);
