import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { GptError } from "./gpt-error.ts";
import type { GptLayout, GptPartitionSpec, SectorSize } from "./gpt-table.ts";
import { LEGACY_BIOS_BOOTABLE, PartitionType } from "./partition-types.ts";
import { readGpt } from "./read-gpt.ts";
import { steleLayout } from "./stele-layout.ts";
import { writeGpt } from "./write-gpt.ts";

const MiB = 1024 * 1024;
const HAS_SGDISK = spawnSync("sgdisk", ["--version"]).status === 0;
const NO_SGDISK = HAS_SGDISK ? false : "sgdisk (gdisk) is not installed";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-gpt-write-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse disk image of `size` bytes, replaced if it exists. */
function image(name: string, size: number): string {
  const path = join(dir, name);
  writeFileSync(path, "");
  truncateSync(path, size);
  return path;
}

function sgdisk(...args: string[]): string {
  return execFileSync("sgdisk", args, { encoding: "utf8" });
}

const FIXED: GptLayout = {
  diskGuid: "5B1E8E3C-3A4F-4E0B-9C49-2D6A7C1E0F11",
  partitions: [
    {
      type: PartitionType.efiSystem,
      name: "EFI",
      firstLba: 2048,
      lastLba: 4095,
      guid: "0F2A7E44-1C6B-4D7E-8B0A-6F7D1E9A2B31",
    },
    {
      type: PartitionType.biosBoot,
      name: "BIOS",
      firstLba: 4096,
      lastLba: 6143,
      guid: "1A3B5C7D-9E0F-4A1B-8C2D-3E4F5A6B7C8D",
      attributes: LEGACY_BIOS_BOOTABLE,
    },
    {
      type: PartitionType.linuxFilesystem,
      name: "ÉPHÉMÈRE ☃",
      firstLba: 6144,
      lastLba: 16383,
      guid: "2B4C6D8E-0F1A-4B2C-9D3E-4F5A6B7C8D9E",
    },
  ],
};

test("what is written reads back: disk GUID, partition GUIDs, types, names, LBAs and attributes", () => {
  const path = image("fixed.img", 16 * MiB);
  const written = writeGpt(path, FIXED);
  const read = readGpt(path);
  assert.equal(read.source, "primary");
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.table, written);
  assert.deepEqual(
    read.table.partitions.map((p) => [p.number, p.name, p.type, p.guid, p.firstLba, p.lastLba, p.attributes]),
    FIXED.partitions.map((p, i) => [
      i + 1,
      p.name,
      p.type,
      p.guid,
      p.firstLba,
      p.lastLba,
      p.attributes ?? 0n,
    ]),
  );
  assert.equal(read.table.diskGuid, FIXED.diskGuid);
  assert.equal(read.table.diskSectors, (16 * MiB) / 512);
  assert.equal(read.table.firstUsableLba, 34);
  assert.equal(read.table.lastUsableLba, (16 * MiB) / 512 - 34);
});

test("GUIDs not given are random", () => {
  const path = image("random.img", 16 * MiB);
  const layout: GptLayout = {
    partitions: [{ type: PartitionType.linuxFilesystem, firstLba: 2048, lastLba: 4095 }],
  };
  const first = writeGpt(path, layout);
  const second = writeGpt(path, layout);
  assert.notEqual(first.diskGuid, second.diskGuid);
  assert.notEqual(first.partitions[0]!.guid, second.partitions[0]!.guid);
  assert.deepEqual(readGpt(path).table, second);
});

test("LBA 0 holds a protective MBR covering the disk, with the boot code given", () => {
  const path = image("mbr.img", 16 * MiB);
  const bootCode = new Uint8Array(440).fill(0xeb);
  writeGpt(path, { ...FIXED, bootCode });
  const mbr = readFileSync(path).subarray(0, 512);
  assert.deepEqual([...mbr.subarray(0, 440)], [...bootCode]);
  assert.equal(mbr[446 + 4], 0xee, "partition type 0xEE");
  assert.equal(mbr.readUInt32LE(446 + 8), 1, "starts at LBA 1");
  assert.equal(mbr.readUInt32LE(446 + 12), (16 * MiB) / 512 - 1, "covers the rest of the disk");
  assert.deepEqual([mbr[510], mbr[511]], [0x55, 0xaa]);
});

test("sgdisk verifies a Stele disk and lists its partitions as planned", { skip: NO_SGDISK }, () => {
  const size = 3 * 1024 * MiB;
  const path = image("stele.img", size);
  const table = writeGpt(path, steleLayout(size, { bootSize: 300 * MiB }));
  const verify = sgdisk("-v", path);
  assert.match(verify, /No problems found/);
  assert.doesNotMatch(verify, /Caution|Warning/);
  const listing = sgdisk("-p", path);
  assert.match(listing, new RegExp(`Disk identifier \\(GUID\\): ${table.diskGuid}`));
  const rows = [...listing.matchAll(/^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+(\w{4})\s+(\S+)$/gm)].map((m) => [
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    m[4],
    m[5],
  ]);
  const codes = ["EF00", "EF02", "8300", "8300", "8300", "8300", "8300"];
  assert.deepEqual(
    rows,
    table.partitions.map((p, i) => [p.number, p.firstLba, p.lastLba, codes[i], p.name]),
  );
  const bios = sgdisk("-i", "2", path);
  assert.match(bios, /Attribute flags: 0000000000000004/);
  assert.match(bios, new RegExp(`Partition unique GUID: ${table.partitions[1]!.guid}`));
});

const refusals: Array<[string, Partial<GptPartitionSpec>, RegExp]> = [
  [
    "overlapping partitions",
    { firstLba: 4000, lastLba: 8000 },
    /partition 1 \("EFI"\) \(LBA 2048-4095\) overlaps partition 4 \("NEW"\) \(LBA 4000-8000\)/,
  ],
  [
    "a partition beyond the disk",
    { firstLba: 30000, lastLba: 40000 },
    /partition 4 \("NEW"\) ends at LBA 40000, beyond the end of the disk \(last LBA 32767\)/,
  ],
  [
    "a partition in the backup GPT",
    { firstLba: 30000, lastLba: 32740 },
    /ends at LBA 32740, inside the backup GPT \(last usable LBA 32734\)/,
  ],
  [
    "a partition in the primary GPT",
    { firstLba: 33, lastLba: 100 },
    /starts at LBA 33, inside the primary GPT \(first usable LBA 34\)/,
  ],
  [
    "a partition that ends before it starts",
    { firstLba: 20000, lastLba: 19999 },
    /ends at LBA 19999, before it starts at LBA 20000/,
  ],
  [
    "a name too long",
    { name: "x".repeat(37) },
    /Name of partition 4 \("x+"\) too long: 37 UTF-16 code units, at most 36 fit/,
  ],
  ["a bad type GUID", { type: "EFI" }, /Invalid type GUID of partition 4 \("NEW"\): "EFI"/],
  [
    "a GUID used twice",
    { guid: FIXED.partitions[0]!.guid! },
    /partition 4 \("NEW"\) has the same GUID as partition 1/,
  ],
];
for (const [what, change, message] of refusals) {
  test(`a plan with ${what} is refused and nothing is written`, () => {
    const path = image("refused.img", 16 * MiB);
    const extra = {
      type: PartitionType.linuxFilesystem,
      name: "NEW",
      firstLba: 20000,
      lastLba: 24000,
      ...change,
    };
    assert.throws(
      () => writeGpt(path, { ...FIXED, partitions: [...FIXED.partitions, extra] }),
      (error: unknown) => {
        assert.ok(error instanceof GptError);
        assert.equal(error.code, "invalid-argument");
        assert.match(error.message, message);
        assert.ok(error.hint.length > 0);
        return true;
      },
    );
    const disk = readFileSync(path);
    const gptAreas = [disk.subarray(0, 34 * 512), disk.subarray(disk.length - 33 * 512)];
    assert.ok(gptAreas.every((area) => area.every((byte) => byte === 0)));
  });
}

test("a disk too small for a GPT is refused", () => {
  const path = image("tiny.img", 32 * 1024);
  assert.throws(() => writeGpt(path, { partitions: [] }), {
    code: "failed-precondition",
    message: /Disk too small for a GPT/,
  });
});

/** Random valid plans: partitions at random places in the usable range, in random entry order. */
function arbitraryPlan(sectorSizes: SectorSize[]) {
  return fc
    .record({
      sectorSize: fc.constantFrom(...sectorSizes),
      diskSectors: fc.integer({ min: 200, max: 1 << 22 }),
      entryCount: fc.oneof(fc.constant(128), fc.integer({ min: 128, max: 512 })),
      cuts: fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 16 }),
      details: fc.array(
        fc.record({
          type: fc.uuid(),
          guid: fc.uuid(),
          name: fc
            .string({ unit: "binary", maxLength: 18 })
            .filter((s) => !s.includes("\0") && s.length <= 36),
          attributes: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          order: fc.nat(),
        }),
        { minLength: 8, maxLength: 8 },
      ),
      diskGuid: fc.uuid(),
    })
    .map(({ sectorSize, diskSectors, entryCount, cuts, details, diskGuid }) => {
      const entrySectors = Math.ceil((entryCount * 128) / sectorSize);
      const first = 2 + entrySectors;
      const last = diskSectors - 2 - entrySectors;
      const points = [...new Set(cuts.map((c) => first + Math.floor(c * (last + 1 - first))))].sort(
        (a, b) => a - b,
      );
      const partitions: GptPartitionSpec[] = [];
      for (let i = 0; i + 1 < points.length; i += 2) {
        const { order: _, ...detail } = details[partitions.length]!;
        partitions.push({ ...detail, firstLba: points[i]!, lastLba: points[i + 1]! - 1 });
      }
      const order = partitions.map((_, i) => details[i]!.order);
      const shuffled = partitions
        .map((p, i) => ({ p, key: order[i]! }))
        .sort((a, b) => a.key - b.key)
        .map((x) => x.p);
      return {
        layout: { sectorSize, diskGuid, entryCount, partitions: shuffled } satisfies GptLayout,
        diskSectors,
      };
    })
    .filter(
      ({ layout, diskSectors }) =>
        diskSectors - 2 - 2 * Math.ceil((layout.entryCount * 128) / layout.sectorSize) > 2,
    );
}

test("random valid plans round-trip through the disk (512 and 4096-byte sectors)", () => {
  const path = join(dir, "property.img");
  fc.assert(
    fc.property(arbitraryPlan([512, 4096]), ({ layout, diskSectors }) => {
      image("property.img", diskSectors * layout.sectorSize);
      const written = writeGpt(path, layout);
      const read = readGpt(path);
      assert.deepEqual(read.problems, []);
      assert.deepEqual(read.table, written);
      assert.equal(read.table.sectorSize, layout.sectorSize);
      assert.deepEqual(
        read.table.partitions.map(({ number: _, ...p }) => p),
        layout.partitions.map((p) => ({ ...p, type: p.type.toUpperCase(), guid: p.guid!.toUpperCase() })),
      );
    }),
    { numRuns: 150 },
  );
});

test("sgdisk finds no problem in random valid plans", { skip: NO_SGDISK }, () => {
  const path = join(dir, "sgdisk-property.img");
  fc.assert(
    fc.property(arbitraryPlan([512]), ({ layout, diskSectors }) => {
      image("sgdisk-property.img", diskSectors * 512);
      writeGpt(path, layout);
      assert.match(sgdisk("-v", path), /No problems found/);
    }),
    { numRuns: 40 },
  );
});

/** Attaches `path` as a loop device with 4096-byte logical sectors, or says why it cannot. */
function attachLoop4k(path: string): string | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: "needs root for a loop device" };
  const attach = spawnSync("losetup", ["--sector-size", "4096", "--find", "--show", path], {
    encoding: "utf8",
  });
  if (attach.status !== 0) return { skip: `losetup failed: ${attach.stderr.trim()}` };
  return attach.stdout.trim();
}

test("on a 4Kn block device: sizes from the kernel, and sgdisk verifies the table", async (t) => {
  if (NO_SGDISK) return t.skip(NO_SGDISK);
  const size = 3 * 1024 * MiB;
  const path = image("loop-4k.img", size);
  const device = attachLoop4k(path);
  if (typeof device !== "string") return t.skip(device.skip);
  try {
    // The plan matches the kernel's 4096-byte sectors; readGpt takes them (and the size) from sysfs.
    const table = writeGpt(device, steleLayout(size, { bootSize: 200 * MiB, sectorSize: 4096 }));
    assert.equal(table.sectorSize, 4096);
    assert.equal(table.diskSectors, size / 4096);
    assert.match(sgdisk("-v", device), /No problems found/);
    assert.deepEqual(readGpt(device), { table, source: "primary", problems: [] });
    assert.throws(
      () => writeGpt(device, { sectorSize: 512, partitions: [] }),
      /Sector size mismatch on \/dev\/loop\d+/,
    );
  } finally {
    execFileSync("losetup", ["--detach", device]);
  }
});
