import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import fc from "fast-check";
import { type BlockIo, openBlockIo } from "../gpt/block-io.ts";
import { MetaError } from "./meta-error.ts";
import { META_SIZE } from "./meta-region.ts";
import { readMeta } from "./read-meta.ts";
import { updateMeta, writeMeta } from "./write-meta.ts";

const COPY = META_SIZE / 2;
let dir = "";
let path = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-meta-write-"));
  path = join(dir, "meta");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const entries = (record: Record<string, string>) =>
  new Map(Object.entries(record).map(([k, v]) => [k, bytes(v)]));
const text = (map: ReadonlyMap<string, Uint8Array>) =>
  Object.fromEntries([...map].map(([k, v]) => [k, Buffer.from(v).toString()]));

test("what is written reads back, and each write is one generation newer", () => {
  assert.deepEqual(writeMeta(path, entries({ "upgrade.next-slot": "B", empty: "" })), { generation: 1 });
  assert.equal(statSync(path).size, META_SIZE);
  assert.deepEqual(readMeta(path), {
    entries: entries({ "upgrade.next-slot": "B", empty: "" }),
    generation: 1,
    copy: "A",
    problems: [],
  });
  assert.deepEqual(writeMeta(path, entries({ a: "2" })), { generation: 2 });
  const read = readMeta(path);
  assert.deepEqual(text(read.entries), { a: "2" });
  assert.equal(read.generation, 2);
});

test("both copies hold the same bytes, whatever order the entries were given in", () => {
  writeMeta(path, entries({ b: "2", a: "1", c: "3" }));
  const first = readFileSync(path);
  assert.deepEqual(first.subarray(0, COPY), first.subarray(COPY));
  writeMeta(path, entries({ c: "3", a: "1", b: "2" }));
  const second = readFileSync(path);
  // Only the generation (bytes 16-23) and the CRC (28-31) differ.
  for (const copy of [0, COPY]) {
    second.fill(0, copy + 16, copy + 24).fill(0, copy + 28, copy + 32);
    first.fill(0, copy + 16, copy + 24).fill(0, copy + 28, copy + 32);
  }
  assert.deepEqual(second, first);
});

test("updateMeta sets and deletes keys and keeps the others", () => {
  updateMeta(
    path,
    new Map([
      ["a", bytes("1")],
      ["b", bytes("2")],
    ]),
  );
  updateMeta(
    path,
    new Map([
      ["b", null],
      ["c", bytes("3")],
    ]),
  );
  assert.deepEqual(text(readMeta(path).entries), { a: "1", c: "3" });
  assert.equal(readMeta(path).generation, 2);
});

test("updateMeta refuses to empty a META whose both copies are damaged", () => {
  writeMeta(path, entries({ a: "1" }));
  const io = openBlockIo(path, { writable: true });
  io.write(33, bytes("x"));
  io.write(COPY + 33, bytes("x"));
  io.close();
  assert.throws(() => updateMeta(path, new Map([["b", bytes("2")]])), { code: "io" });
});

test("a value that does not fit is refused, naming it, and META keeps its contents", () => {
  writeMeta(path, entries({ keep: "me" }));
  const capacity = COPY - 32;
  const overhead = 1 + "big".length + 4;
  writeMeta(path, new Map([["big", new Uint8Array(capacity - overhead)]]));
  assert.equal(readMeta(path).entries.get("big")!.length, capacity - overhead);
  writeMeta(path, entries({ keep: "me" }));
  assert.throws(
    () =>
      writeMeta(
        path,
        new Map([
          ["small", bytes("x")],
          ["big", new Uint8Array(capacity - overhead + 1)],
        ]),
      ),
    (error: unknown) => {
      assert.ok(error instanceof MetaError);
      assert.equal(error.code, "invalid-argument");
      assert.match(
        error.message,
        /^META entries too large: 524268 bytes, a copy holds at most 524256: the largest value, "big", is 524249 bytes$/,
      );
      assert.match(error.hint, /STATE/);
      return true;
    },
  );
  assert.deepEqual(text(readMeta(path).entries), { keep: "me" });
  assert.equal(readMeta(path).generation, 3);
});

test("keys outside [a-z0-9._-] or longer than 64 are refused", () => {
  for (const key of ["", "Upper", "with space", "ü", "-lead", "k".repeat(65)]) {
    assert.throws(() => writeMeta(path, new Map([[key, bytes("v")]])), {
      code: "invalid-argument",
      message: /Invalid META key/,
    });
  }
  writeMeta(path, new Map([["k".repeat(64), bytes("v")]]));
});

class PowerCut extends Error {}

/**
 * A disk that loses power during its `cutAt`-th write (0 or 1; writeMeta makes one per copy): only
 * the 512-byte sectors `landed` picks reach the disk, in any order, as a drive's cache may deliver them.
 */
function failingDisk(io: BlockIo, cutAt: number, landed: (page: number) => boolean): BlockIo {
  let writes = 0;
  return {
    ...io,
    read: (position, length) => io.read(position, length),
    write(position, data) {
      if (writes++ !== cutAt) return io.write(position, data);
      for (let sector = 0; sector * 512 < data.length; sector++) {
        if (landed(sector))
          io.write(position + sector * 512, data.subarray(sector * 512, (sector + 1) * 512));
      }
      throw new PowerCut();
    },
    sync: () => io.sync(),
    close: () => io.close(),
  };
}

test("a power cut at any point of any write leaves META readable, old or new", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          // Entries of 2 to 5 sectors, so a cut can land some of them and not others.
          value: fc.uint8Array({ minLength: 500, maxLength: 2000 }),
          cutAt: fc.constantFrom(0, 1, undefined),
          sectors: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      (steps) => {
        writeMeta(path, new Map([["v", new Uint8Array()]]));
        let visible: Uint8Array = new Uint8Array();
        for (const { value, cutAt, sectors } of steps) {
          const io = openBlockIo(path, { writable: true });
          try {
            writeMeta(
              failingDisk(io, cutAt ?? -1, (sector) => sectors[sector] ?? true),
              new Map([["v", value]]),
            );
            assert.equal(cutAt, undefined);
          } catch (error) {
            if (!(error instanceof PowerCut)) throw error;
          } finally {
            io.close();
          }
          const read = readMeta(path).entries.get("v")!;
          // Cut during the first copy: old or new (all its sectors may have landed). Later: new.
          if (cutAt === 0) {
            assert.ok(Buffer.compare(read, visible) === 0 || Buffer.compare(read, value) === 0);
          } else {
            assert.deepEqual(read, value);
          }
          visible = read;
        }
      },
    ),
    { numRuns: 100 },
  );
});
