import { closeSync, openSync, readSync } from "node:fs";

/**
 * `length` bytes of a block device (or an image file) from `offset`, for the superblock and label
 * checks of the metal storage: short when the device ends sooner.
 */
export function readDeviceBytes(device: string, offset: number, length: number): Buffer {
  const fd = openSync(device, "r");
  try {
    const bytes = Buffer.alloc(length);
    const read = readSync(fd, bytes, 0, length, offset);
    return bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
