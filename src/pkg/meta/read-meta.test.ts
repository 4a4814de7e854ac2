import assert from "node:assert/strict";
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
import { afterEach, beforeEach, test } from "node:test";
import { readGpt } from "../gpt/read-gpt.ts";
import { SteleLabel, steleLayout } from "../gpt/stele-layout.ts";
import { writeGpt } from "../gpt/write-gpt.ts";
import { MetaError } from "./meta-error.ts";
import { META_SIZE } from "./meta-region.ts";
import { readMeta } from "./read-meta.ts";
import { writeMeta } from "./write-meta.ts";

const B = META_SIZE / 2;
let dir = "";
let path = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-meta-read-"));
  path = join(dir, "meta");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entries = new Map([
  ["upgrade.next-slot", new Uint8Array(Buffer.from("B"))],
  ["identity.hostname", new Uint8Array(Buffer.from("worker-1"))],
]);

function poke(position: number, bytes: Uint8Array | string): void {
  const fd = openSync(path, "r+");
  const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  writeSync(fd, data, 0, data.length, position);
  closeSync(fd);
}

function peek(position: number, length: number): Buffer {
  const fd = openSync(path, "r");
  const bytes = Buffer.alloc(length);
  readSync(fd, bytes, 0, length, position);
  closeSync(fd);
  return bytes;
}

// Where to damage a copy: in its entries, its magic, its version, its length field.
const damage: Array<[string, number, string, RegExp]> = [
  [
    "a flipped byte in the entries",
    40,
    "?",
    /is damaged, copy . is used: CRC mismatch: stored 0x[0-9A-F]{8}, computed 0x[0-9A-F]{8}$/,
  ],
  ["an overwritten magic", 0, "XXXXXXXX", /holds no META \(no META magic\), copy . is used$/],
  [
    "a newer format version",
    8,
    "\x02",
    /is damaged, copy . is used: unsupported format version 2 \(this build reads 1\)$/,
  ],
  [
    "a length beyond the copy",
    14,
    "\xff",
    /is damaged, copy . is used: entries length \d+ exceeds the copy \(524256 bytes\)$/,
  ],
];
for (const [what, at, bytes, problem] of damage) {
  for (const [bad, good] of [
    ["A", "B"],
    ["B", "A"],
  ] as const) {
    test(`${what} in copy ${bad}: copy ${good} is used and the damage reported`, () => {
      writeMeta(path, entries);
      poke((bad === "A" ? 0 : B) + at, bytes);
      const read = readMeta(path);
      assert.deepEqual(read.entries, entries);
      assert.equal(read.copy, good);
      assert.equal(read.generation, 1);
      assert.equal(read.problems.length, 1);
      assert.ok(
        read.problems[0]!.startsWith(`copy ${bad} (offset ${bad === "A" ? 0 : B}) `),
        read.problems[0],
      );
      assert.match(read.problems[0]!, problem);
    });
  }
}

test("both copies damaged: an error naming both failures", () => {
  writeMeta(path, entries);
  poke(40, "?");
  poke(B, "XXXXXXXX");
  assert.throws(
    () => readMeta(path),
    (error: unknown) => {
      assert.ok(error instanceof MetaError);
      assert.equal(error.code, "io");
      assert.match(
        error.message,
        /^META unreadable on \S+: copy A \(offset 0\): CRC mismatch: stored 0x\w+, computed 0x\w+; copy B \(offset 524288\): no META magic$/,
      );
      assert.match(error.hint, /upgrade state is lost/);
      return true;
    },
  );
});

test("a region never written: not-found, so the caller can tell it from damage", () => {
  writeFileSync(path, Buffer.alloc(META_SIZE));
  assert.throws(() => readMeta(path), {
    name: "SteleError",
    code: "not-found",
    message: `No META on ${path}: copy A (offset 0): it is blank (all zeros); copy B (offset 524288): it is blank (all zeros)`,
  });
});

test("the newer copy wins, and an older one is reported as a write cut short", () => {
  writeMeta(path, new Map([["v", Uint8Array.of(1)]]));
  const generationOne = peek(0, B);
  writeMeta(path, new Map([["v", Uint8Array.of(2)]]));
  poke(B, generationOne);
  const read = readMeta(path);
  assert.deepEqual(read.entries, new Map([["v", Uint8Array.of(2)]]));
  assert.equal(read.copy, "A");
  assert.deepEqual(read.problems, [
    "copy B (offset 524288) is older (generation 1 < 2): a write was cut short, copy A is used",
  ]);
  // The next write goes to the older copy first and leaves both equal again.
  writeMeta(path, new Map([["v", Uint8Array.of(3)]]));
  assert.deepEqual(readMeta(path).problems, []);
  assert.equal(readMeta(path).generation, 3);
});

test("META inside a whole-disk image, located through the GPT", () => {
  const disk = join(dir, "disk.img");
  const size = 2048 * 1024 * 1024;
  writeFileSync(disk, "");
  truncateSync(disk, size);
  writeGpt(disk, steleLayout(size, { bootSize: 100 * 1024 * 1024 }));
  const meta = readGpt(disk).table.partitions.find((p) => p.name === SteleLabel.meta)!;
  const location = { offset: meta.firstLba * 512, size: (meta.lastLba - meta.firstLba + 1) * 512 };
  assert.equal(location.size, META_SIZE);
  writeMeta(disk, entries, location);
  assert.deepEqual(readMeta(disk, location).entries, entries);
  assert.deepEqual(readGpt(disk).problems, [], "the GPT is untouched");
  assert.throws(() => readMeta(disk, { offset: location.offset }), {
    code: "invalid-argument",
    message: /^META region too large: \d+ bytes after offset \d+ of \S+disk\.img$/,
  });
});
