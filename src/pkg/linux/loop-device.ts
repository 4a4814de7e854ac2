import { closeSync, constants, openSync } from "node:fs";
import { libc } from "./libc.ts";
import { check, LinuxCallError, SyscallError } from "./syscall-error.ts";

/** Loop-device ioctl request numbers of linux/loop.h that Stele uses. */
export const LOOP_IOCTLS = {
  LOOP_CLR_FD: 0x4c01,
  LOOP_CONFIGURE: 0x4c0a,
  LOOP_CTL_GET_FREE: 0x4c82,
} as const;

/** `lo_flags` bits of linux/loop.h. */
const LO_FLAGS_READ_ONLY = 1;
const LO_FLAGS_AUTOCLEAR = 4;
const LO_FLAGS_PARTSCAN = 8;
/** sizeof(struct loop_config): fd, block_size, struct loop_info64 (232 bytes), 8 reserved u64. */
const LOOP_CONFIG_SIZE = 304;
/** Offsets in struct loop_config (the loop_info64 starts at 8). */
const LC_FD = 0;
const LC_OFFSET = 8 + 24;
const LC_SIZELIMIT = 8 + 32;
const LC_FLAGS = 8 + 52;
const LC_FILE_NAME = 8 + 56;
const LO_NAME_SIZE = 64;
const EBUSY = 16;
/** O_CLOEXEC (Node's fs.constants lacks it): no child process inherits these descriptors. */
const O_CLOEXEC = 0o2000000;

/** Options of {@link attachLoopDevice}. */
export interface LoopAttachOptions {
  /** Where the loop device starts in the backing file or device, in bytes (default 0). */
  offset?: number;
  /** How many bytes it shows (default: to the end of the backing file). */
  size?: number;
  /** Read-only (default true): the backing file is opened read-only and so is the loop device. */
  readOnly?: boolean;
  /**
   * The kernel frees the loop device when its last user (a mount) goes, so nothing has to detach
   * it (default false). Keep the returned fd open until that user holds it.
   */
  autoclear?: boolean;
  /** Scan it for partitions, so `/dev/loopNpM` appear (default false). */
  partscan?: boolean;
}

/** An attached loop device: its path, and its open file descriptor (close it with {@link LoopDevice.close}). */
export interface LoopDevice {
  /** `/dev/loopN`. */
  readonly path: string;
  readonly number: number;
  /** The loop device, open: with `autoclear`, closing the last holder frees it. */
  readonly fd: number;
  /** Closes the fd (does not detach: see {@link detachLoopDevice}). */
  close(): void;
}

/**
 * A `struct loop_config` for LOOP_CONFIGURE: the backing fd, the window (offset, size limit), the
 * flags and the file name that `losetup -l` shows.
 */
export function encodeLoopConfig(
  backingFd: number,
  options: LoopAttachOptions & { fileName?: string } = {},
): Buffer {
  const offset = options.offset ?? 0;
  const size = options.size ?? 0;
  for (const [what, value] of [
    ["offset", offset],
    ["size", size],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new LinuxCallError(
        "invalid-argument",
        `Invalid loop device ${what}: ${value}`,
        "Give a whole number of bytes",
      );
    }
  }
  const buffer = Buffer.alloc(LOOP_CONFIG_SIZE);
  buffer.writeUInt32LE(backingFd, LC_FD);
  buffer.writeBigUInt64LE(BigInt(offset), LC_OFFSET);
  buffer.writeBigUInt64LE(BigInt(size), LC_SIZELIMIT);
  const flags =
    ((options.readOnly ?? true) ? LO_FLAGS_READ_ONLY : 0) |
    (options.autoclear ? LO_FLAGS_AUTOCLEAR : 0) |
    (options.partscan ? LO_FLAGS_PARTSCAN : 0);
  buffer.writeUInt32LE(flags, LC_FLAGS);
  Buffer.from(options.fileName ?? "", "utf8")
    .subarray(0, LO_NAME_SIZE - 1)
    .copy(buffer, LC_FILE_NAME);
  return buffer;
}

/**
 * Attaches `backing` (a file or a block device) to a free loop device with LOOP_CTL_GET_FREE and
 * LOOP_CONFIGURE (Linux 5.8+: one call sets the fd, the window and the flags, so nobody sees a
 * half-configured device). The stage-1 init mounts a squashfs partition of a CD-ROM through it: the
 * kernel makes no partition nodes for sr devices. Another process may take the free device between
 * the two calls (EBUSY): it retries with the next free one.
 */
export function attachLoopDevice(backing: string, options: LoopAttachOptions = {}): LoopDevice {
  const readOnly = options.readOnly ?? true;
  const config = (fd: number) => encodeLoopConfig(fd, { ...options, readOnly, fileName: backing });
  const mode = readOnly ? constants.O_RDONLY : constants.O_RDWR;
  const backingFd = openSync(backing, mode | O_CLOEXEC);
  try {
    const control = openSync("/dev/loop-control", constants.O_RDWR | O_CLOEXEC);
    try {
      for (let attempt = 0; ; attempt++) {
        const number = check(libc().ioctl(control, LOOP_IOCTLS.LOOP_CTL_GET_FREE, Buffer.alloc(8)), "ioctl", [
          "/dev/loop-control",
          "LOOP_CTL_GET_FREE",
        ]);
        const path = `/dev/loop${number}`;
        const fd = openSync(path, mode | O_CLOEXEC);
        try {
          check(libc().ioctl(fd, LOOP_IOCTLS.LOOP_CONFIGURE, config(backingFd)), "ioctl", [
            path,
            "LOOP_CONFIGURE",
            backing,
            options.offset ?? 0,
            options.size ?? 0,
          ]);
        } catch (error) {
          closeSync(fd);
          if (error instanceof SyscallError && error.errno === EBUSY && attempt < 8) continue;
          throw error;
        }
        return { path, number, fd, close: () => closeSync(fd) };
      }
    } finally {
      closeSync(control);
    }
  } finally {
    // The loop device holds its own reference to the backing file.
    closeSync(backingFd);
  }
}

/** LOOP_CLR_FD: detaches the loop device at `path` (the kernel finishes once nothing holds it open). */
export function detachLoopDevice(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | O_CLOEXEC);
  try {
    check(libc().ioctl(fd, LOOP_IOCTLS.LOOP_CLR_FD, Buffer.alloc(8)), "ioctl", [path, "LOOP_CLR_FD"]);
  } finally {
    closeSync(fd);
  }
}
