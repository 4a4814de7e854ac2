import { chdir, chroot, mount } from "../../pkg/linux/index.ts";
import { removeInitramfs } from "./remove-initramfs.ts";

/** The pseudo-filesystems that move from the initramfs into the new root, already mounted. */
export const MOVED_MOUNTS = ["/proc", "/sys", "/dev", "/run"] as const;

/**
 * switch_root from an initramfs into `newRoot` (a mount point): moves /proc, /sys, /dev and /run
 * into it, empties the initramfs, mounts the new root over `/` (MS_MOVE) and chroots into it.
 * pivot_root(2) cannot be used: the initramfs is the kernel's rootfs, which cannot be pivoted away.
 * Returns the number of initramfs entries removed.
 */
export function switchRoot(newRoot: string): number {
  for (const path of MOVED_MOUNTS) mount(path, `${newRoot}${path}`, { flags: ["move"] });
  const removed = removeInitramfs("/", [newRoot]);
  chdir(newRoot);
  mount(".", "/", { flags: ["move"] });
  chroot(".");
  chdir("/");
  return removed;
}
