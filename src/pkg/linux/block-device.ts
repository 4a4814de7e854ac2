import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/** Block-device ioctl request numbers of linux/fs.h that Stele uses. */
export const BLOCK_IOCTLS = {
  /** `_IO(0x12, 95)`: re-read the partition table. */
  BLKRRPART: 0x125f,
  /** `_IO(0x12, 104)`: the logical sector size, as an int. */
  BLKSSZGET: 0x1268,
  /** `_IOR(0x12, 114, size_t)`: the size in bytes, as a u64. */
  BLKGETSIZE64: 0x80081272,
  /** `_IO(0x12, 105)`: add, delete or resize one partition (struct blkpg_ioctl_arg). */
  BLKPG: 0x1269,
} as const;

/** `BLKPG_RESIZE_PARTITION` of linux/blkpg.h. */
const BLKPG_RESIZE_PARTITION = 3;
/** sizeof(struct blkpg_partition): two long longs, an int, two 64-byte names, padded to 8. */
const BLKPG_PARTITION_SIZE = 152;

/**
 * BLKGETSIZE64: the size in bytes of the block device open as `fd` (fstat says 0 for a device). The
 * installer checks a disk is big enough for the layout with it.
 */
export function blockDeviceSize(fd: number): number {
  const out = Buffer.alloc(8);
  check(libc().ioctl(fd, BLOCK_IOCTLS.BLKGETSIZE64, out), "ioctl", [fd, "BLKGETSIZE64"]);
  return Number(out.readBigUInt64LE(0));
}

/** BLKSSZGET: the logical sector size of the block device open as `fd` (512 or 4096; 2048 for a CD-ROM). */
export function blockDeviceSectorSize(fd: number): number {
  const out = Buffer.alloc(4);
  check(libc().ioctl(fd, BLOCK_IOCTLS.BLKSSZGET, out), "ioctl", [fd, "BLKSSZGET"]);
  return out.readInt32LE(0);
}

/**
 * BLKRRPART: makes the kernel read the partition table of the disk open as `fd` again, so that the
 * partition nodes (`/dev/sda1` …) of a GPT just written appear. EBUSY while a partition of the disk
 * is mounted or open; the caller flushes its writes (fsync) first, since the new partition devices
 * read the disk, not the whole-disk device's cache.
 */
export function rereadPartitions(fd: number): void {
  check(libc().ioctl(fd, BLOCK_IOCTLS.BLKRRPART, Buffer.alloc(8)), "ioctl", [fd, "BLKRRPART"]);
}

/**
 * BLKPG_RESIZE_PARTITION: tells the kernel that partition `number` of the disk open as `fd` now
 * spans `length` bytes from `start` (its start cannot move). Unlike BLKRRPART it works while other
 * partitions of the disk are mounted, which is how a node grows EPHEMERAL on the disk it booted
 * from. The GPT on disk must already say the same: this changes only the kernel's view.
 */
export function resizePartition(
  fd: number,
  partition: { number: number; start: number; length: number },
): void {
  check(
    libc().ioctlBlkpg(fd, BLOCK_IOCTLS.BLKPG, {
      op: BLKPG_RESIZE_PARTITION,
      flags: 0,
      datalen: BLKPG_PARTITION_SIZE,
      data: {
        start: BigInt(partition.start),
        length: BigInt(partition.length),
        pno: partition.number,
        devname: "",
        volname: "",
      },
    }),
    "ioctl",
    [fd, "BLKPG_RESIZE_PARTITION", partition.number],
  );
}
