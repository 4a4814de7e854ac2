import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/** mount(2) flag bits by name (linux/mount.h), so call sites read `["bind", "rec"]`, not `0x5000`. */
export const MOUNT_FLAGS = {
  rdonly: 0x1,
  nosuid: 0x2,
  nodev: 0x4,
  noexec: 0x8,
  remount: 0x20,
  bind: 0x1000,
  move: 0x2000,
  rec: 0x4000,
  private: 0x40000,
  slave: 0x80000,
  shared: 0x100000,
} as const;

/** The name of one mount(2) flag. */
export type MountFlag = keyof typeof MOUNT_FLAGS;

/** What to mount besides source and target. */
export interface MountOptions {
  /** The filesystem type (`tmpfs`, `proc`, `devpts` …); none for bind, move and propagation changes. */
  type?: string;
  flags?: readonly MountFlag[];
  /** Filesystem-specific options, as `mount -o` would pass them (`mode=755,size=64m`). */
  data?: string;
}

/**
 * mount(2). Throws a SteleError naming the call and errno (`mount("tmpfs", "/x/system", "tmpfs",
 * ["nosuid"], NULL): EPERM (Operation not permitted)`) when the kernel refuses.
 */
export function mount(source: string | null, target: string, options: MountOptions = {}): void {
  const flags = options.flags ?? [];
  const bits = flags.reduce((sum, flag) => sum | MOUNT_FLAGS[flag], 0);
  check(libc().mount(source, target, options.type ?? null, bits, options.data ?? null), "mount", [
    source,
    target,
    options.type ?? null,
    flags,
    options.data ?? null,
  ]);
}

/** Options of {@link umount2}. */
export interface UmountOptions {
  /** MNT_DETACH: lazy unmount, detached now and released when no longer busy. */
  detach?: boolean;
  /** MNT_FORCE. */
  force?: boolean;
}

const MNT_FORCE = 1;
const MNT_DETACH = 2;

/** umount2(2); throws a SteleError naming the call and errno on failure. */
export function umount2(target: string, options: UmountOptions = {}): void {
  const flags = (options.detach ? MNT_DETACH : 0) | (options.force ? MNT_FORCE : 0);
  check(libc().umount2(target, flags), "umount2", [target, flags]);
}
