import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statSync,
} from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { partitionDevicePath } from "../../../machinery/boot/boot-record.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { type BlockIo, openBlockIo } from "../../../pkg/gpt/index.ts";
import type { GrubBiosImages } from "../../../pkg/grub-bios/index.ts";
import { mount, rereadPartitions, sync, umount2 } from "../../../pkg/linux/index.ts";
import { ConfigStore } from "../config/config-store.ts";
import { formatExt4 } from "../storage/ext4.ts";
import type { InstallCalls } from "./install-to-disk.ts";

/** How long the partition nodes of a GPT just written may take to appear (devtmpfs, no udev). */
const NODE_TIMEOUT_MS = 10_000;

/** Where the root filesystem carries GRUB's BIOS images (src/imager/rootfs-layout.ts GRUB_IMAGES_PATH). */
export const GRUB_IMAGES_DIR = "/usr/lib/stele/grub";

/** Options of {@link systemInstallCalls}. */
export interface SystemInstallCallsOptions {
  /** Where STATE is mounted while the config is written (a tmpfs of the node: /tmp). */
  scratchDir: string;
  log: (line: string) => void;
}

/**
 * The installer's calls on the real machine: sysfs to tell disks from partitions, BLKRRPART and
 * devtmpfs for the new partition nodes, mke2fs, mount(2), and machined's own ConfigStore to store
 * the config, so an installed node reads exactly what a first apply would have written.
 */
export function systemInstallCalls(options: SystemInstallCallsOptions): InstallCalls {
  const fds = new WeakMap<BlockIo, number>();
  return {
    resolve: (path) => realpathSync(path),
    kind(device) {
      if (!statSync(device).isBlockDevice()) return "other";
      return existsSync(`/sys/class/block/${basename(device)}/partition`) ? "partition" : "disk";
    },
    open(device, writable) {
      // Opened here rather than by path, so that BLKRRPART can be issued on the same descriptor.
      const fd = openSync(device, writable ? constants.O_RDWR : constants.O_RDONLY);
      try {
        const io: BlockIo = { ...openBlockIo(fd), close: () => closeSync(fd) };
        fds.set(io, fd);
        return io;
      } catch (error) {
        closeSync(fd);
        throw error;
      }
    },
    async rereadPartitions(disk, io, count) {
      const fd = fds.get(io);
      if (fd === undefined) throw new SteleError("internal", `No open file descriptor for ${disk}`);
      rereadPartitions(fd);
      const nodes = new Map<number, string>();
      for (let n = 1; n <= count; n++) nodes.set(n, partitionDevicePath(disk, n));
      const deadline = Date.now() + NODE_TIMEOUT_MS;
      while (![...nodes.values()].every((node) => existsSync(node))) {
        if (Date.now() > deadline) {
          throw new SteleError(
            "io",
            `Partition nodes of ${disk} did not appear: ${[...nodes.values()].filter((n) => !existsSync(n)).join(", ")}`,
            "Check the kernel log (`stelectl dmesg`) for the disk",
          );
        }
        await sleep(50);
      }
      return nodes;
    },
    formatExt4,
    withMountedState(device, write) {
      const dir = mkdtempSync(join(options.scratchDir, "install-state-"));
      try {
        mount(device, dir, { type: "ext4", flags: ["nosuid", "nodev", "noexec"] });
        try {
          write(dir);
          sync();
        } finally {
          umount2(dir);
        }
      } finally {
        rmdirSync(dir);
      }
    },
    grubBiosImages(): GrubBiosImages | undefined {
      try {
        return {
          bootImg: readFileSync(join(GRUB_IMAGES_DIR, "boot.img")),
          coreImg: readFileSync(join(GRUB_IMAGES_DIR, "core.img")),
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    writeConfig(stateDir, config) {
      new ConfigStore(stateDir, { validationMode: "metal" }).commit(config);
    },
    log: options.log,
  };
}
