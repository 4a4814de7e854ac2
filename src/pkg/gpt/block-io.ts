import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from "node:fs";

/**
 * Positioned reads and writes on a disk: a disk image file, a block device, or whatever a test puts
 * behind it. GPT and META take one, so tests can simulate a power cut between two writes, and code
 * that already holds an open file descriptor (the installer) can pass it as it is.
 */
export interface BlockIo {
  /** How the disk is named in messages: its path, or `fd N`. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** The logical sector size the kernel reports for a block device; undefined for a file. */
  readonly logicalSectorSize: number | undefined;
  /** Reads exactly `length` bytes at `position`; throws if the disk ends first. */
  read(position: number, length: number): Uint8Array;
  /** Writes all of `bytes` at `position`. */
  write(position: number, bytes: Uint8Array): void;
  /** Waits until what was written is on stable storage (fsync). */
  sync(): void;
  /** Closes what {@link openBlockIo} opened; a file descriptor passed in stays open. */
  close(): void;
}

/** What a GPT or META function accepts as its disk: a path, an open file descriptor, or a {@link BlockIo}. */
export type BlockTarget = string | number | BlockIo;

/** Options of {@link openBlockIo}. */
export interface OpenBlockIoOptions {
  /** Open for writing too (default: read-only). */
  writable?: boolean;
  /** Create a missing file (only with `writable`); an existing one is never truncated. */
  create?: boolean;
}

/**
 * Opens a disk image or block device for positioned I/O. The size of a block device comes from
 * sysfs (`/sys/dev/block/MAJ:MIN/size`), since fstat reports 0 for it and the BLKGETSIZE64 ioctl
 * would need FFI, which only src/pkg/linux may use.
 */
export function openBlockIo(target: string | number, options: OpenBlockIoOptions = {}): BlockIo {
  const owned = typeof target === "string";
  const flags = options.writable
    ? constants.O_RDWR | (options.create ? constants.O_CREAT : 0)
    : constants.O_RDONLY;
  const fd = owned ? openSync(target, flags, 0o600) : target;
  const name = owned ? target : `fd ${target}`;
  try {
    const { size, logicalSectorSize } = measure(fd);
    return {
      name,
      size,
      logicalSectorSize,
      read(position, length) {
        const bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, bytes, done, length - done, position + done);
          if (n === 0)
            throw new Error(`Short read from ${name}: ${done} of ${length} bytes at offset ${position}`);
          done += n;
        }
        return bytes;
      },
      write(position, bytes) {
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
      },
      sync() {
        fsyncSync(fd);
      },
      close() {
        if (owned) closeSync(fd);
      },
    };
  } catch (error) {
    if (owned) closeSync(fd);
    throw error;
  }
}

/**
 * Runs `fn` on `target` opened as a {@link BlockIo}, closing it afterwards if it was opened here; a
 * BlockIo passed in is used as it is and left open.
 */
export function withBlockIo<T>(target: BlockTarget, options: OpenBlockIoOptions, fn: (io: BlockIo) => T): T {
  if (typeof target === "object") return fn(target);
  const io = openBlockIo(target, options);
  try {
    return fn(io);
  } finally {
    io.close();
  }
}

function measure(fd: number): { size: number; logicalSectorSize: number | undefined } {
  const stat = fstatSync(fd, { bigint: true });
  if (!stat.isBlockDevice()) return { size: Number(stat.size), logicalSectorSize: undefined };
  // Linux's dev_t: the major number in bits 8-19 and 32-43, the minor in bits 0-7 and 20-31.
  const dev = stat.rdev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const sys = `/sys/dev/block/${major}:${minor}`;
  // sysfs counts a block device's size in 512-byte units whatever its sector size.
  const size = Number(readFileSync(`${sys}/size`, "utf8").trim()) * 512;
  let logicalSectorSize: number | undefined;
  try {
    logicalSectorSize = Number(readFileSync(`${sys}/queue/logical_block_size`, "utf8").trim());
  } catch {
    // A partition has no queue/ of its own; its disk's sector size is not needed to read META.
  }
  return { size, logicalSectorSize };
}
