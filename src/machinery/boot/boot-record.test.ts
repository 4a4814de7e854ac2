import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import {
  type BootRecord,
  formatBootRecord,
  mediumOf,
  parseBootRecord,
  partitionDevicePath,
  readBootRecord,
  writeBootRecord,
} from "./boot-record.ts";

const dir = mkdtempSync(join(tmpdir(), "boot-record-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const installed: BootRecord = {
  schema: 1,
  root: "/dev/vda3",
  disk: "/dev/vda",
  partition: {
    index: 3,
    name: "BOOT-A",
    guid: "0a0b0c0d-0000-4000-8000-000000000001",
    offset: 213909504,
    size: 536870912,
  },
  medium: "disk",
};
const cdrom: BootRecord = {
  schema: 1,
  root: "/dev/loop0",
  disk: "/dev/sr0",
  partition: {
    index: 2,
    name: "Appended2",
    guid: "0a0b0c0d-0000-4000-8000-000000000002",
    offset: 4194304,
    size: 83886080,
  },
  medium: "live",
};
const directBoot: BootRecord = {
  schema: 1,
  root: "/dev/vda",
  disk: "/dev/vda",
  partition: null,
  medium: "live",
};

test("a record written by the init reads back the same, for every medium", () => {
  for (const [i, record] of [installed, cdrom, directBoot].entries()) {
    const path = join(dir, `run/stele/boot-${i}.json`);
    writeBootRecord(record, path);
    assert.deepEqual(readBootRecord(path), record);
  }
  assert.equal(readBootRecord(join(dir, "none.json")), undefined);
});

test("the medium is disk only for a Stele boot slot", () => {
  assert.equal(mediumOf({ name: "BOOT-A" }), "disk");
  assert.equal(mediumOf({ name: "BOOT-B" }), "disk");
  assert.equal(mediumOf({ name: "Appended2" }), "live");
  assert.equal(mediumOf(null), "live");
});

test("refuses a malformed record, naming what is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["{", /Malformed boot record .*JSON/],
    [JSON.stringify({ ...installed, schema: 2 }), /unknown schema 2/],
    [JSON.stringify({ ...installed, root: "vda3" }), /root is not a \/dev path/],
    [
      JSON.stringify({ ...installed, medium: "live" }),
      /medium live does not match the root partition BOOT-A/,
    ],
    [JSON.stringify({ ...installed, disk: null }), /a partition without its disk/],
    [JSON.stringify({ ...installed, partition: { ...installed.partition, offset: -1 } }), /offset/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseBootRecord(text), { code: "invalid-argument", message });
  }
});

test("any text either parses to a record that formats back to itself, or is refused as invalid-argument", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      try {
        const record = parseBootRecord(text);
        assert.deepEqual(parseBootRecord(formatBootRecord(record)), record);
      } catch (error) {
        assert.equal((error as { code?: string }).code, "invalid-argument");
      }
    }),
    { numRuns: 500 },
  );
});

test("partition nodes are named as the kernel names them", () => {
  assert.equal(partitionDevicePath("/dev/sda", 6), "/dev/sda6");
  assert.equal(partitionDevicePath("/dev/vda", 3), "/dev/vda3");
  assert.equal(partitionDevicePath("/dev/nvme0n1", 7), "/dev/nvme0n1p7");
  assert.equal(partitionDevicePath("/dev/loop4", 1), "/dev/loop4p1");
});
