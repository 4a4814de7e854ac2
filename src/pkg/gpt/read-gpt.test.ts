import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { crc32 } from "node:zlib";
import { GptError } from "./gpt-error.ts";
import type { GptLayout, GptTable } from "./gpt-table.ts";
import { LEGACY_BIOS_BOOTABLE, PartitionType } from "./partition-types.ts";
import { readGpt } from "./read-gpt.ts";
import { writeGpt } from "./write-gpt.ts";

const MiB = 1024 * 1024;
const NO_SGDISK = spawnSync("sgdisk", ["--version"]).status === 0 ? false : "sgdisk (gdisk) is not installed";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-gpt-read-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string, size: number): string {
  const path = join(dir, name);
  writeFileSync(path, "");
  truncateSync(path, size);
  return path;
}

const LAYOUT: GptLayout = {
  diskGuid: "5B1E8E3C-3A4F-4E0B-9C49-2D6A7C1E0F11",
  partitions: [
    { type: PartitionType.efiSystem, name: "EFI", firstLba: 2048, lastLba: 4095 },
    { type: PartitionType.linuxFilesystem, name: "DATA", firstLba: 4096, lastLba: 30000 },
  ],
};

/** A 16 MiB image (32768 sectors of 512 bytes: backup header at LBA 32767, entries from 32735). */
function written(name: string, layout: GptLayout = LAYOUT): { path: string; table: GptTable } {
  const path = image(name, 16 * MiB);
  return { path, table: writeGpt(path, layout) };
}

function poke(path: string, position: number, bytes: Uint8Array): void {
  const fd = openSync(path, "r+");
  writeSync(fd, bytes, 0, bytes.length, position);
  closeSync(fd);
}

function peek(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, "r");
  const bytes = Buffer.alloc(length);
  readSync(fd, bytes, 0, length, position);
  closeSync(fd);
  return bytes;
}

/** Changes the entry array of the copy whose header is at `headerLba`, then fixes both CRCs, as a buggy tool would. */
function rewriteEntries(path: string, headerLba: number, mutate: (entries: Buffer) => void): void {
  const header = peek(path, headerLba * 512, 92);
  const entriesAt = Number(header.readBigUInt64LE(72)) * 512;
  const entries = peek(path, entriesAt, header.readUInt32LE(80) * header.readUInt32LE(84));
  mutate(entries);
  header.writeUInt32LE(crc32(entries), 88);
  header.writeUInt32LE(0, 16);
  header.writeUInt32LE(crc32(header), 16);
  poke(path, entriesAt, entries);
  poke(path, headerLba * 512, header);
}

test("reads what sgdisk writes: numbers with gaps, types, names, GUIDs and attributes", {
  skip: NO_SGDISK,
}, () => {
  const path = image("sgdisk.img", 64 * MiB);
  const guid = "3F1D2C4B-5A69-4788-97A6-B5C4D3E2F100";
  execFileSync("sgdisk", [
    "--clear",
    `--disk-guid=${LAYOUT.diskGuid}`,
    "-n",
    "1:2048:+10M",
    "-t",
    "1:ef00",
    "-c",
    "1:EFI",
    `-u`,
    `1:${guid}`,
    "-n",
    "2:0:+1M",
    "-t",
    "2:ef02",
    "-c",
    "2:BIOS",
    "-A",
    "2:set:2",
    "-n",
    "5:0:0",
    "-t",
    "5:8300",
    "-c",
    "5:EPHEMERAL",
    path,
  ]);
  const { table, source, problems } = readGpt(path);
  assert.equal(source, "primary");
  assert.deepEqual(problems, []);
  assert.equal(table.diskGuid, LAYOUT.diskGuid);
  assert.equal(table.entryCount, 128);
  assert.deepEqual(
    table.partitions.map((p) => [p.number, p.name, p.type, p.firstLba, p.lastLba, p.attributes]),
    [
      [1, "EFI", PartitionType.efiSystem, 2048, 2048 + 20480 - 1, 0n],
      [2, "BIOS", PartitionType.biosBoot, 22528, 22528 + 2048 - 1, LEGACY_BIOS_BOOTABLE],
      [5, "EPHEMERAL", PartitionType.linuxFilesystem, 24576, table.lastUsableLba, 0n],
    ],
  );
  assert.equal(table.partitions[0]!.guid, guid);
  const info = execFileSync("sgdisk", ["-i", "5", path], { encoding: "utf8" });
  assert.match(info, new RegExp(`Partition unique GUID: ${table.partitions[2]!.guid}`));
});

const damage: Array<[string, number, Uint8Array, "primary" | "backup", RegExp]> = [
  [
    "a flipped bit in the primary header",
    512 + 60,
    new Uint8Array([0xff]),
    "backup",
    /^The primary GPT is damaged, the backup is used: GPT header CRC mismatch at LBA 1: stored 0x[0-9A-F]{8}, computed 0x[0-9A-F]{8}$/,
  ],
  [
    "a wrong primary signature",
    512,
    Buffer.from("EFI PARX"),
    "backup",
    /^The primary GPT is damaged, the backup is used: no GPT header at LBA 1 \(bad signature "EFI PARX"\)$/,
  ],
  [
    "a zeroed primary header",
    512,
    new Uint8Array(512),
    "backup",
    /^The primary GPT is damaged, the backup is used: no GPT header at LBA 1 \(the sector is zero\)$/,
  ],
  [
    "a damaged primary entry array",
    2 * 512 + 56,
    Buffer.from("X\0", "latin1"),
    "backup",
    /^The primary GPT is damaged, the backup is used: partition entry array CRC mismatch at LBA 2: stored/,
  ],
  [
    "a damaged backup header",
    32767 * 512 + 40,
    new Uint8Array([1]),
    "primary",
    /^The backup GPT is damaged: GPT header CRC mismatch at LBA 32767/,
  ],
  [
    "a damaged backup entry array",
    32735 * 512 + 130,
    new Uint8Array([7]),
    "primary",
    /^The backup GPT is damaged: partition entry array CRC mismatch at LBA 32735/,
  ],
];
for (const [what, position, bytes, source, problem] of damage) {
  test(`${what}: the ${source} copy is used and the damage reported`, () => {
    const { path, table } = written("damaged.img");
    poke(path, position, bytes);
    const read = readGpt(path);
    assert.equal(read.source, source);
    assert.deepEqual(read.table, table);
    assert.equal(read.problems.length, 1, read.problems.join("\n"));
    assert.match(read.problems[0]!, problem);
  });
}

test("both copies damaged: an error naming what is wrong with each", () => {
  const { path } = written("both.img");
  poke(path, 512 + 60, new Uint8Array([0xff]));
  poke(path, 32735 * 512, new Uint8Array([0xff]));
  assert.throws(
    () => readGpt(path),
    (error: unknown) => {
      assert.ok(error instanceof GptError);
      assert.equal(error.code, "io");
      assert.match(
        error.message,
        /^Invalid GPT on \S+both\.img: primary: GPT header CRC mismatch at LBA 1: .*; backup: partition entry array CRC mismatch at LBA 32735: /,
      );
      assert.match(error.hint, /sgdisk -v/);
      return true;
    },
  );
});

test("a blank disk has no GPT: not-found, not damage", () => {
  const path = image("blank.img", 16 * MiB);
  assert.throws(() => readGpt(path), {
    name: "SteleError",
    code: "not-found",
    message: `No GPT on ${path}: no GPT header at LBA 1 (the sector is zero), nor at LBA 32767 (the sector is zero)`,
  });
  const empty = image("empty.img", 0);
  assert.throws(() => readGpt(empty), { code: "not-found", message: /the disk has 0 sectors/ });
});

test("overlapping partitions in a table with good CRCs are an error naming both", () => {
  const { path } = written("overlap.img");
  for (const lba of [1, 32767])
    rewriteEntries(path, lba, (entries) => entries.writeBigUInt64LE(4000n, 128 + 32));
  assert.throws(() => readGpt(path), {
    code: "io",
    message:
      /primary: partition 1 \("EFI"\) \(LBA 2048-4095\) overlaps partition 2 \("DATA"\) \(LBA 4000-30000\); backup: partition 1 \("EFI"\)/,
  });
});

test("a truncated image: the partition beyond the disk is named", () => {
  const { path } = written("truncated.img");
  truncateSync(path, 8 * MiB);
  assert.throws(() => readGpt(path), {
    code: "io",
    message:
      /primary: partition 2 \("DATA"\) ends at LBA 30000, beyond the end of the disk \(last LBA 16383\); backup: no GPT header at LBA 16383/,
  });
});

test("a disk that grew: the table is read and the misplaced backup reported", () => {
  const { path, table } = written("grown.img");
  truncateSync(path, 32 * MiB);
  const read = readGpt(path);
  assert.equal(read.source, "primary");
  assert.deepEqual(read.table.partitions, table.partitions);
  assert.equal(read.table.diskSectors, 65536);
  assert.deepEqual(read.problems, [
    "The backup GPT is at LBA 32767, not at the end of the disk (LBA 65535): the disk grew, and `sgdisk -e` moves it",
  ]);
});

test("copies that disagree are reported, and the primary is used", () => {
  const { path, table } = written("differ.img");
  rewriteEntries(path, 32767, (entries) => entries.write("X", 56, "utf16le"));
  const read = readGpt(path);
  assert.deepEqual(read.table, table);
  assert.deepEqual(read.problems, ["The primary and backup GPTs differ: the primary is used"]);
});

test("a missing protective MBR is reported, the table still read", () => {
  const { path, table } = written("no-mbr.img");
  poke(path, 0, new Uint8Array(512));
  const read = readGpt(path);
  assert.deepEqual(read.table, table);
  assert.deepEqual(read.problems, ["LBA 0 holds no protective MBR"]);
});

test("4096-byte sectors are detected, from the backup when the primary is gone", () => {
  const path = image("4k.img", 16 * MiB);
  const table = writeGpt(path, {
    ...LAYOUT,
    sectorSize: 4096,
    partitions: [{ ...LAYOUT.partitions[0]!, lastLba: 3000 }],
  });
  assert.equal(table.firstUsableLba, 6);
  assert.deepEqual(readGpt(path).table, table);
  poke(path, 4096, new Uint8Array(4096));
  const read = readGpt(path);
  assert.equal(read.source, "backup");
  assert.deepEqual(read.table, table);
});
