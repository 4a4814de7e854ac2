import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/** pivot_root's number on x86_64: glibc has no wrapper for it, so it goes through syscall(2). */
const SYS_PIVOT_ROOT = 155;

/**
 * pivot_root(2): makes `newRoot` (a mount point) the root of this mount namespace and moves the old
 * root to `putOld`. `pivotRoot(".", ".")` after `chdir(newRoot)` stacks the old root on the new one,
 * to be detached with `umount2(".", { detach: true })`, so the new root needs no spare directory.
 */
export function pivotRoot(newRoot: string, putOld: string): void {
  check(libc().syscall(SYS_PIVOT_ROOT, "const char *", newRoot, "const char *", putOld), "pivot_root", [
    newRoot,
    putOld,
  ]);
}

/**
 * chdir(2) of the calling thread's process. Unlike `process.chdir`, it is the raw call, for the
 * moment between mounts and pivot_root where Node's cached cwd does not matter.
 */
export function chdir(path: string): void {
  check(libc().chdir(path), "chdir", [path]);
}

/** chroot(2); throws a SteleError naming the call and errno on failure. */
export function chroot(path: string): void {
  check(libc().chroot(path), "chroot", [path]);
}
