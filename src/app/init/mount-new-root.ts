import { mkdirSync } from "node:fs";
import { type MountOptions, mount } from "../../pkg/linux/index.ts";

/** One mount of the new root, as data, so the order is tested without root. */
export interface RootMount {
  source: string;
  target: string;
  options: MountOptions;
  /** Make the mount point first (it lies inside a tmpfs mounted earlier, not in the image). */
  mkdir?: boolean;
}

/**
 * The mounts that make the node's root from the root device, in order: the squashfs read-only at
 * `newRoot`; tmpfs at /system and /tmp. /system/state (STATE) and /var (EPHEMERAL) are machined's:
 * it mounts the partitions of an installed disk there, or tmpfs on a live medium, after reading the
 * boot record. /run is not here: the initramfs's own /run tmpfs moves into the new root with /proc,
 * /sys and /dev.
 */
export function rootMounts(device: string, newRoot: string): RootMount[] {
  const tmpfs = (path: string, data: string, flags: MountOptions["flags"] = ["nosuid", "nodev"]) => ({
    source: "tmpfs",
    target: `${newRoot}${path}`,
    options: { type: "tmpfs", flags, data },
  });
  return [
    { source: device, target: newRoot, options: { type: "squashfs", flags: ["rdonly"] } },
    // containerd runs container roots from /system/var/lib/containerd: no noexec, no nodev there.
    tmpfs("/system", "mode=755", []),
    tmpfs("/tmp", "mode=1777"),
  ];
}

/** Carries out {@link rootMounts}; the first failure throws, naming the mount and errno. */
export function mountNewRoot(device: string, newRoot: string): void {
  for (const step of rootMounts(device, newRoot)) {
    if (step.mkdir) mkdirSync(step.target, { recursive: true, mode: 0o755 });
    mount(step.source, step.target, step.options);
  }
}
