/**
 * `init`: the stage-1 init of a Stele node, PID 1 in the initramfs (`/init` runs it). Mounts the
 * pseudo-filesystems, loads the kernel modules the machine needs, finds the root filesystem (the
 * node's squashfs), mounts it read-only with tmpfs for what must be writable, switches root into
 * it and replaces itself (execve, same PID 1) with machined. Every step prints one line on the
 * console. PID 1 must never exit (the kernel panics): any error is printed, and the machine powers
 * off after 10 s, leaving the message on screen.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { clearCloseOnExec, execve, mount, reboot } from "../../pkg/linux/index.ts";
import { findRootDevice } from "./find-root-device.ts";
import { INITRAMFS_MODULES_DIR, INITRAMFS_MODULES_ORDER, NEWROOT } from "./initramfs-layout.ts";
import { parseKernelCmdline } from "./kernel-cmdline.ts";
import { loadModules, parseModuleOrder } from "./load-modules.ts";
import { mountNewRoot } from "./mount-new-root.ts";
import { switchRoot } from "./switch-root.ts";

/** Where the image keeps Node.js and Stele's bundle (src/imager/rootfs-layout.ts). */
const IMAGE_NODE = "/usr/bin/node";
const IMAGE_BUNDLE = "/usr/lib/stele/stele.mjs";
/** machined's whole environment: nothing of the initramfs's leaks in. */
const IMAGE_ENV: Readonly<Record<string, string>> = { PATH: "/usr/bin:/usr/sbin" };
/**
 * machined on the `metal` platform: PID 1 owning the machine (network, hardening, reboot(2)). Its
 * STATE is `/system/state` and EPHEMERAL `/var`, the tmpfs mounted here until partitions come;
 * `--state-dir /system` places the config and the container services' data under /system.
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
  const device = await findRootDevice({
    requested: cmdline.get("stele.root") || undefined,
    listDisks: () => readdirSync("/sys/block"),
    readMagic,
    timeoutMs: ROOT_TIMEOUT_MS,
    sleep,
  });
  mountNewRoot(device, NEWROOT);
  say(`root ${device} squashfs mounted`);

  say("switching root");
  switchRoot(NEWROOT);
  for (const fd of [0, 1, 2]) clearCloseOnExec(fd);
  execve(IMAGE_NODE, { argv: [IMAGE_NODE, IMAGE_BUNDLE, ...MACHINED_ARGS], env: IMAGE_ENV });
}

/** The first 4 bytes of /dev/<name> as latin1 text, undefined while the node is missing or unreadable. */
function readMagic(name: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/dev/${name}`, "r");
    const buffer = Buffer.alloc(4);
    return readSync(fd, buffer, 0, 4, 0) === 4 ? buffer.toString("latin1") : "";
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
