import assert from "node:assert/strict";
import { test } from "node:test";
import type { BlockIo } from "../../../pkg/gpt/index.ts";
import { findDiskContents } from "./disk-contents.ts";

/** A 1 MiB disk in memory with `bytes` written at `offset`. */
function disk(...writes: Array<[offset: number, bytes: number[] | string]>): BlockIo {
  const data = new Uint8Array(1024 * 1024);
  for (const [offset, bytes] of writes) {
    data.set(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes, offset);
  }
  return {
    name: "mem",
    size: data.length,
    logicalSectorSize: undefined,
    read: (position, length) => data.slice(position, position + length),
    write: () => {},
    sync: () => {},
    close: () => {},
  };
}

const cases: Array<[string, BlockIo, string[]]> = [
  ["a blank disk", disk(), []],
  ["ext4", disk([1080, [0x53, 0xef]]), ["an ext2/3/4 file system"]],
  ["LUKS", disk([0, "LUKS\xba\xbe"]), ["a LUKS encrypted volume"]],
  ["XFS", disk([0, "XFSB"]), ["an XFS file system"]],
  ["btrfs", disk([65536 + 64, "_BHRfS_M"]), ["a btrfs file system"]],
  ["an ISO", disk([32769, "CD001"]), ["an ISO 9660 file system"]],
  ["swap", disk([4086, "SWAPSPACE2"]), ["a swap area"]],
  ["FAT", disk([54, "FAT16"], [510, [0x55, 0xaa]]), ["a FAT file system"]],
  ["an MBR with a partition", disk([446 + 4, [0x83]], [510, [0x55, 0xaa]]), ["an MBR partition table"]],
];
for (const [what, io, expected] of cases) {
  test(`finds ${what}: ${expected.join(", ") || "nothing"}`, () => {
    assert.deepEqual(findDiskContents(io), expected);
  });
}
