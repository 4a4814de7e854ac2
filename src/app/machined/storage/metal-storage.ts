import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { type BootRecord, partitionDevicePath } from "../../../machinery/boot/boot-record.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { type GptPartition, readGpt, SteleLabel } from "../../../pkg/gpt/index.ts";
import {
  attachLoopDevice,
  type MountOptions,
  mount,
  readMountinfo,
  rereadPartitions,
  resizePartition,
  sync,
  umount2,
} from "../../../pkg/linux/index.ts";
import {
  EXT4_PROBE_LENGTH,
  EXT4_PROBE_OFFSET,
  type Ext4Format,
  formatExt4,
  hasExtSuperblock,
} from "./ext4.ts";
import { type BootDiskGrowth, type GrowBootDiskOptions, growBootDisk } from "./grow-boot-disk.ts";
import { readDeviceBytes } from "./read-device-bytes.ts";

/** What {@link mountMetalStorage} does to the machine; tests pass fakes that record. */
export interface StorageCalls {
  /** The partitions of a disk's GPT. */
  partitions(disk: string): GptPartition[];
  /** `length` bytes of a device at `offset`. */
  read(device: string, offset: number, length: number): Uint8Array;
  formatExt4(device: string, format: Ext4Format): void;
  mount(source: string, target: string, options: MountOptions): void;
  /** Whether something is mounted at `target` already (machined re-executed itself, mounts stay). */
  isMounted(target: string): boolean;
  umount(target: string): void;
  remountReadOnly(target: string): void;
  mkdir(path: string): void;
  sync(): void;
}

/** The real calls. */
export const SYSTEM_STORAGE_CALLS: StorageCalls = {
  partitions: (disk) => readGpt(disk).table.partitions,
  read: readDeviceBytes,
  formatExt4,
  mount,
  isMounted: (target) => readMountinfo().some((entry) => entry.target === target),
  umount: (target) => umount2(target),
  remountReadOnly: (target) => mount(null, target, { flags: ["remount", "rdonly"] }),
  mkdir: (path) => mkdirSync(path, { recursive: true, mode: 0o755 }),
  sync,
};

/** How a boot disk bigger than its GPT is grown (growBootDisk) and shown to the kernel; tests pass fakes. */
export interface DiskGrowthCalls {
  grow(disk: string, options: GrowBootDiskOptions): BootDiskGrowth;
  /** BLKRRPART; throws while a partition of the disk is in use (the root squashfs is mounted from BOOT-A). */
  rereadPartitions(disk: string): void;
  /** BLKPG_RESIZE_PARTITION of one partition: works while others are mounted; throws if the kernel refuses. */
  resizePartition(disk: string, partition: { number: number; start: number; length: number }): void;
  /** A read-write loop device over `size` bytes of `disk` at `offset`, freed when its last user goes. */
  attachWindow(disk: string, offset: number, size: number): { path: string; close(): void };
}

/** The real calls. */
export const SYSTEM_DISK_GROWTH_CALLS: DiskGrowthCalls = {
  grow: growBootDisk,
  rereadPartitions(disk) {
    const fd = openSync(disk, "r");
    try {
      rereadPartitions(fd);
    } finally {
      closeSync(fd);
    }
  },
  resizePartition(disk, partition) {
    const fd = openSync(disk, "r");
    try {
      resizePartition(fd, partition);
    } finally {
      closeSync(fd);
    }
  },
  attachWindow(disk, offset, size) {
    const loop = attachLoopDevice(disk, { offset, size, readOnly: false, autoclear: true });
    return { path: loop.path, close: () => loop.close() };
  },
};

/** STATE and EPHEMERAL as mounted: whether they survive a reboot, and how to let go of them. */
export interface MetalStorage {
  /** True when they are partitions (medium `disk`); false for tmpfs. */
  readonly persistent: boolean;
  /**
   * Unmounts them (EPHEMERAL first) before reboot(2) or power-off, once services stopped; a file
   * system still busy is remounted read-only, and one that cannot be is at least synced. Never throws.
   */
  release(): void;
}

/** Options of {@link mountMetalStorage}. */
export interface MetalStorageOptions {
  /** The root of the node's paths (`/`; a temporary directory in tests). */
  root?: string;
  calls?: StorageCalls;
  /**
   * Growing a boot disk larger than its GPT; by default the real calls when `calls` is not given
   * (tests of the rest pass storage fakes and no growth).
   */
  growth?: DiskGrowthCalls;
  /** One line each on the console: what was mounted or formatted. */
  log: (line: string) => void;
}

/** STATE: config and identity, never executed from. */
const STATE_FLAGS: MountOptions["flags"] = ["nosuid", "nodev", "noexec"];
/**
 * EPHEMERAL is /var: the CRI containerd's root (container root file systems) and the CNI plugins
 * (/var/lib/cni/bin) are executed from it, so it stays exec; device nodes and set-uid are refused.
 */
const EPHEMERAL_FLAGS: MountOptions["flags"] = ["nosuid", "nodev"];

/**
 * Mounts STATE at `/system/state` and EPHEMERAL at `/var` as the boot record says, before any
 * service starts. Medium `disk` (an installed disk or the raw image): the partitions named STATE and
 * EPHEMERAL on the boot disk's GPT, formatted as ext4 first when blank (no ext superblock: the raw
 * image leaves them zero), so their contents survive a reboot. A boot disk larger than its GPT (the
 * raw image written to a bigger disk) is grown first, while EPHEMERAL is still blank, so that
 * EPHEMERAL is formatted at its full size (growBootDiskOnce). Medium `live` (the ISO, a kernel and
 * initramfs) or no record: tmpfs, nothing survives. What is already mounted (machined re-executed
 * itself on a live medium) is left as it is. Each step is one console line.
 */
export function mountMetalStorage(
  record: BootRecord | undefined,
  options: MetalStorageOptions,
): MetalStorage {
  const calls = options.calls ?? SYSTEM_STORAGE_CALLS;
  const root = options.root ?? "/";
  const state = join(root, "system/state");
  const ephemeral = join(root, "var");
  const targets = [state, ephemeral];
  if (record?.medium !== "disk" || record.disk === null) {
    const why = record === undefined ? "no boot record" : `live medium ${record.disk ?? record.root}`;
    for (const [target, mode] of [
      [state, "700"],
      [ephemeral, "755"],
    ] as const) {
      calls.mkdir(target);
      if (calls.isMounted(target)) continue;
      calls.mount("tmpfs", target, { type: "tmpfs", flags: ["nosuid", "nodev"], data: `mode=${mode}` });
    }
    options.log(`STATE and EPHEMERAL are tmpfs (${why}): nothing persists across a reboot`);
    return { persistent: false, release: () => calls.sync() };
  }
  const disk = record.disk;
  const growth = options.growth ?? (options.calls === undefined ? SYSTEM_DISK_GROWTH_CALLS : undefined);
  const window = growth ? growBootDiskOnce(disk, { calls, growth, ephemeral, log: options.log }) : undefined;
  const partitions = calls.partitions(disk);
  const plan = [
    { label: SteleLabel.state, target: state, flags: STATE_FLAGS },
    { label: SteleLabel.ephemeral, target: ephemeral, flags: EPHEMERAL_FLAGS },
  ];
  for (const { label, target, flags } of plan) {
    const partition = partitions.find((p) => p.name === label);
    if (partition === undefined) {
      throw new SteleError(
        "failed-precondition",
        `Boot disk ${disk} has no ${label} partition: found ${partitions.map((p) => p.name || "(unnamed)").join(", ")}`,
        "Reinstall Stele on this disk (boot the ISO and apply a config with install.wipe: true), or write the raw image to it again",
      );
    }
    const device =
      label === SteleLabel.ephemeral && window !== undefined
        ? window.path
        : partitionDevicePath(disk, partition.number);
    calls.mkdir(target);
    if (calls.isMounted(target)) {
      options.log(`${label} already mounted at ${target}`);
      continue;
    }
    if (!hasExtSuperblock(calls.read(device, EXT4_PROBE_OFFSET, EXT4_PROBE_LENGTH))) {
      options.log(`${label} (${device}) is blank: formatting it as ext4`);
      calls.formatExt4(device, { label, uuid: partition.guid });
    }
    calls.mount(device, target, { type: "ext4", flags });
    options.log(`${label} ${device} mounted at ${target} (ext4)`);
  }
  // The mount holds the loop device now; with autoclear it goes when /var is unmounted.
  window?.close();
  return {
    persistent: true,
    release() {
      calls.sync();
      for (const target of [...targets].reverse()) {
        try {
          calls.umount(target);
          options.log(`${target} unmounted`);
        } catch (umountError) {
          try {
            calls.remountReadOnly(target);
            options.log(`${target} busy: remounted read-only`);
          } catch {
            options.log(`${target} busy, left mounted after sync: ${(umountError as Error).message}`);
          }
        }
      }
    },
  };
}

/**
 * Grows the boot disk when it is larger than its GPT (growBootDisk), deciding from EPHEMERAL's
 * superblock whether EPHEMERAL may grow, then makes the kernel re-read the table (BLKRRPART). The
 * kernel refuses while a partition of the disk is in use, and on a disk boot the root squashfs is
 * mounted from BOOT-A: then EPHEMERAL's new range is, for this boot only, a loop device over the
 * disk (returned, to format and mount instead of the partition), and from the next boot on the
 * kernel reads the new table and the partition is the same bytes. Never throws: a disk that cannot
 * be grown is one console line, and the node boots with the sizes it has.
 */
function growBootDiskOnce(
  disk: string,
  options: { calls: StorageCalls; growth: DiskGrowthCalls; ephemeral: string; log: (line: string) => void },
): { path: string; close(): void } | undefined {
  try {
    const before = options.calls.partitions(disk).find((p) => p.name === SteleLabel.ephemeral);
    const blank =
      before !== undefined &&
      !options.calls.isMounted(options.ephemeral) &&
      !hasExtSuperblock(
        options.calls.read(partitionDevicePath(disk, before.number), EXT4_PROBE_OFFSET, EXT4_PROBE_LENGTH),
      );
    const grown = options.growth.grow(disk, { ephemeralBlank: blank, log: options.log });
    if (!grown.rewritten) return undefined;
    try {
      options.growth.rereadPartitions(disk);
      options.log(`${disk}: the kernel re-read its partitions`);
      return undefined;
    } catch (error) {
      if (grown.ephemeral === undefined) {
        options.log(
          `${disk}: the kernel keeps the old table until the next boot: ${(error as Error).message}`,
        );
        return undefined;
      }
      const { number, offset, size } = grown.ephemeral;
      try {
        // The kernel resizes one partition while BOOT-A is mounted; only when it refuses that too
        // does this boot use a loop device over the new range.
        options.growth.resizePartition(disk, { number, start: offset, length: size });
        options.log(
          `${disk}: the kernel resized partition ${number} (${SteleLabel.ephemeral}) to the new table`,
        );
        return undefined;
      } catch (resizeError) {
        options.log(
          `${disk}: partition ${number} not resized by the kernel: ${(resizeError as Error).message}`,
        );
      }
      const window = options.growth.attachWindow(disk, offset, size);
      options.log(
        `${disk}: the kernel keeps the old table while the root is mounted (${(error as Error).message}): EPHEMERAL is ${window.path} over its new range until the next boot`,
      );
      return window;
    }
  } catch (error) {
    options.log(
      `${disk}: cannot grow to the size of the disk, booting with the sizes it has: ${(error as Error).message}`,
    );
    return undefined;
  }
}
