import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * Deletes the initramfs's files, as switch_root does, so the memory they hold (Node alone is over
 * 100 MB) goes back to the kernel: the initramfs cannot be unmounted, only emptied. Everything under
 * `root` goes except `keep` (the new root's mount point); it never descends into another
 * filesystem (a directory with another device number is a mount point, and is left alone).
 * Returns the number of entries removed.
 */
export function removeInitramfs(root: string, keep: readonly string[]): number {
  const device = lstatSync(root).dev;
  let removed = 0;
  const remove = (path: string): void => {
    const stat = lstatSync(path);
    if (stat.dev !== device) return;
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) remove(join(path, name));
      try {
        rmdirSync(path);
        removed++;
      } catch {
        // Not empty: a mount point below it was kept. Nothing else to free here.
      }
      return;
    }
    unlinkSync(path);
    removed++;
  };
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (!keep.includes(path)) remove(path);
  }
  return removed;
}
