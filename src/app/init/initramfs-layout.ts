/**
 * Where things are in the initramfs, the contract between the image builder (src/imager/boot),
 * which lays the initramfs out, and the stage-1 init, which reads it. Paths are absolute, as the
 * init sees them; the builder strips the leading `/`.
 */

/** The uncompressed kernel modules the init loads (`<name>.ko`). */
export const INITRAMFS_MODULES_DIR = "/usr/lib/modules";

/**
 * The modules to load, one name per line, in the order they must load (a module after those it
 * depends on). The builder writes it; the init loads exactly these, in this order.
 */
export const INITRAMFS_MODULES_ORDER = "/usr/lib/modules/load-order";

/** Where the root filesystem is mounted before it becomes `/`. */
export const NEWROOT = "/newroot";

/** The directories the init mounts on (and the kernel's initramfs unpacker does not create). */
export const INITRAMFS_MOUNT_POINTS = ["/dev", "/proc", "/sys", "/run", NEWROOT] as const;
