import { chdir, pivotRoot, umount2 } from "../../../pkg/linux/index.ts";

/**
 * Makes `root` (a mount point) the root of this mount namespace and drops the host's: pivot_root
 * with new and old root both `.` stacks the old root on the new one, and a lazy unmount of `.`
 * then detaches it, so the node's root needs no spare directory and keeps nothing of the host.
 */
export function switchRoot(root: string): void {
  chdir(root);
  pivotRoot(".", ".");
  umount2(".", { detach: true });
  chdir("/");
}
