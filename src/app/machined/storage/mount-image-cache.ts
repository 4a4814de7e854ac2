import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type MountOptions, mount, readMountinfo } from "../../../pkg/linux/index.ts";
import { EXT4_PROBE_LENGTH, EXT4_PROBE_OFFSET, extLabel, hasExtSuperblock } from "./ext4.ts";
import { IMAGE_CACHE_LABEL } from "./image-cache-label.ts";
import { readDeviceBytes } from "./read-device-bytes.ts";

/** What {@link mountImageCache} does to the machine; tests pass fakes that record. */
export interface ImageCacheCalls {
  /** The `/dev` paths of every whole disk and partition the kernel knows, with a size above zero. */
  blockDevices(): string[];
  /** `length` bytes of a device at `offset`; throws when the device cannot be read (no medium). */
  read(device: string, offset: number, length: number): Uint8Array;
  mount(source: string, target: string, options: MountOptions): void;
  /** Whether something is mounted at `target` already (machined re-executed itself, mounts stay). */
  isMounted(target: string): boolean;
  mkdir(path: string): void;
  /** The names in a directory. */
  readDir(path: string): string[];
}

/** The real calls: sysfs for the devices, positioned reads, mount(2). */
export const SYSTEM_IMAGE_CACHE_CALLS: ImageCacheCalls = {
  blockDevices() {
    const sizeOf = (name: string) => {
      try {
        return Number(readFileSync(`/sys/class/block/${name}/size`, "utf8").trim());
      } catch {
        return 0;
      }
    };
    return readdirSync("/sys/class/block")
      .filter((name) => sizeOf(name) > 0)
      .sort()
      .map((name) => `/dev/${name}`);
  },
  read: readDeviceBytes,
  mount,
  isMounted: (target) => readMountinfo().some((entry) => entry.target === target),
  mkdir: (path) => mkdirSync(path, { recursive: true, mode: 0o755 }),
  readDir: (path) => readdirSync(path),
};

/** Options of {@link mountImageCache}. */
export interface MountImageCacheOptions {
  /** The root of the node's paths (`/`; a temporary directory in tests). */
  root?: string;
  calls?: ImageCacheCalls;
  /** One line on the console when a cache is mounted, or cannot be. */
  log: (line: string) => void;
}

/** What {@link mountImageCache} found. */
export interface MountedImageCache {
  /** The device mounted, or undefined when there is no image cache. */
  readonly device: string | undefined;
  /** Where it is mounted: `/system/image-cache`. */
  readonly target: string;
  /** The `*.tar` archives in it, which the system containerd imports. */
  readonly archives: number;
}

/**
 * Read-only and inert: machined only reads archives from the cache, so nothing on it is executed,
 * no device node or set-uid bit on it counts, and the node can never change what a disk shared by
 * many VMs holds.
 */
const IMAGE_CACHE_FLAGS: MountOptions["flags"] = ["rdonly", "nosuid", "nodev", "noexec"];

/**
 * Mounts the image cache, if the machine has one, at `/system/image-cache`, where the system
 * containerd imports every `*.tar` at its first start: how an air-gapped node (or a VM on a host
 * without a registry) gets its system images such as etcd, as Talos's image cache volume does. The
 * cache is the first whole disk or partition (in device-name order) holding an ext2/3/4 file system
 * labelled {@link IMAGE_CACHE_LABEL}; it is mounted read-only and never formatted or written. No
 * such file system: nothing changes and nothing is said (the node pulls its images). A device that
 * cannot be read (a CD-ROM drive without a disc) is skipped; a mount that fails is one console line,
 * never an error, since the node works without the cache. Already mounted (machined re-executed
 * itself): left as it is.
 */
export function mountImageCache(options: MountImageCacheOptions): MountedImageCache {
  const calls = options.calls ?? SYSTEM_IMAGE_CACHE_CALLS;
  const target = join(options.root ?? "/", "system/image-cache");
  const archives = () => {
    try {
      return calls.readDir(target).filter((name) => name.endsWith(".tar")).length;
    } catch {
      return 0;
    }
  };
  if (calls.isMounted(target)) {
    const count = archives();
    options.log(`image cache: already mounted at ${target}, ${count} archive${count === 1 ? "" : "s"}`);
    return { device: undefined, target, archives: count };
  }
  const device = calls.blockDevices().find((candidate) => {
    try {
      const superblock = calls.read(candidate, EXT4_PROBE_OFFSET, EXT4_PROBE_LENGTH);
      return hasExtSuperblock(superblock) && extLabel(superblock) === IMAGE_CACHE_LABEL;
    } catch {
      return false;
    }
  });
  if (device === undefined) return { device: undefined, target, archives: 0 };
  try {
    calls.mkdir(target);
    calls.mount(device, target, { type: "ext4", flags: IMAGE_CACHE_FLAGS });
  } catch (error) {
    options.log(
      `image cache: cannot mount ${device} (labelled ${IMAGE_CACHE_LABEL}) at ${target}, images will be pulled: ${(error as Error).message}`,
    );
    return { device: undefined, target, archives: 0 };
  }
  const count = archives();
  options.log(`image cache: ${device} mounted, ${count} archive${count === 1 ? "" : "s"}`);
  return { device, target, archives: count };
}
