import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import fc from "fast-check";
import { isSteleError, type SteleError } from "../../../machinery/errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { LogFile } from "./log-file.ts";
import { parseLogLine } from "./log-line-json.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-logfile-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = new Date("2025-01-01T00:00:00Z");
const entry = (seq: number, line = `line ${seq}`): LogEntry => ({ seq, time: T0, stream: "stdout", line });

/** Every entry of a file, checking each line is whole JSON and the file ends with a newline. */
function readEntries(path: string): LogEntry[] {
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  assert.ok(text.endsWith("\n"), `${path} ends in the middle of a line`);
  return text.slice(0, -1).split("\n").map(parseLogLine);
}

/** The entries of the rotated files oldest first, then the current file; asserts none is missing. */
function readAll(path: string, keep: number): LogEntry[] {
  assert.ok(!existsSync(`${path}.${keep + 1}`), `more than ${keep} rotated files are kept`);
  const files = [...Array.from({ length: keep }, (_, i) => `${path}.${keep - i}`), path].filter(existsSync);
  return files.flatMap(readEntries);
}

/** Asserts seqs count up by one (loss lines standing for the lines they count) and end at `last`. */
function assertContiguous(entries: readonly LogEntry[], last: number): void {
  let expected =
    entries[0]?.lost !== undefined ? entries[0].seq - entries[0].lost + 1 : (entries[0]?.seq ?? 1);
  for (const e of entries) {
    if (e.lost !== undefined) {
      assert.equal(e.seq, expected + e.lost - 1, "a loss line carries the seq of the last line lost");
      expected += e.lost;
    } else {
      assert.equal(e.seq, expected, `line ${expected} is missing or out of order (found ${e.seq})`);
      expected++;
    }
  }
  assert.equal(expected - 1, last);
}

test("writes JSON lines that read back as the entries appended", async () => {
  const path = join(dir, "etcd.log");
  const file = new LogFile(path);
  const entries = [entry(1), { ...entry(2, 'quote " and\nnewline'), stream: "machined" as const }];
  for (const e of entries) file.append(e);
  await file.close();
  assert.deepEqual(readEntries(path), entries);
  assert.equal(statSync(path).mode & 0o777, 0o640);
});

test("rotates past maxBytes into .1 … .N, drops the oldest, and never loses or splits a line", async () => {
  const path = join(dir, "kubelet.log");
  const file = new LogFile(path, { maxBytes: 4096, keep: 3 });
  let seq = 0;
  for (let burst = 0; burst < 12; burst++) {
    for (let i = 0; i < 40; i++) file.append(entry(++seq, `burst ${burst} line ${i} `.padEnd(40 + i, "x")));
    if (burst % 3 === 0) await file.flush(); // some bursts land while a write is still in flight
  }
  await file.close();
  for (const name of ["", ".1", ".2", ".3"]) {
    assert.ok(existsSync(path + name), `${path + name} exists`);
    assert.ok(statSync(path + name).size <= 4096, `${name} is within maxBytes`);
  }
  const all = readAll(path, 3);
  assertContiguous(all, seq);
  assert.ok(all[0]!.seq > 1, "the oldest lines were dropped with the oldest file");
});

test("property: any line sizes and flush points rotate without losing or splitting a line", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.string({ unit: "grapheme", maxLength: 300 }), fc.boolean()), {
        minLength: 1,
        maxLength: 150,
      }),
      fc.integer({ min: 1, max: 4 }),
      async (lines, keep) => {
        const path = join(mkdtempSync(join(dir, "p-")), "svc.log");
        const file = new LogFile(path, { maxBytes: 4096, keep });
        let seq = 0;
        for (const [line, flush] of lines) {
          file.append(entry(++seq, line));
          if (flush) await file.flush();
        }
        await file.close();
        const all = readAll(path, keep);
        assertContiguous(all, seq);
        for (const name of ["", ...Array.from({ length: keep }, (_, i) => `.${i + 1}`)]) {
          if (existsSync(path + name)) assert.ok(statSync(path + name).size <= 4096);
        }
      },
    ),
    { numRuns: 40 },
  );
});

test("reopening a closed file appends to it, and counts its size towards rotation", async () => {
  const path = join(dir, "apid.log");
  const first = new LogFile(path, { maxBytes: 4096 });
  for (let seq = 1; seq <= 20; seq++) first.append(entry(seq, "a".repeat(100))); // about 3.2 KiB
  await first.close();
  assert.ok(!existsSync(`${path}.1`));
  const second = new LogFile(path, { maxBytes: 4096 });
  for (let seq = 21; seq <= 30; seq++) second.append(entry(seq, "b".repeat(100)));
  await second.close();
  assert.ok(existsSync(`${path}.1`), "the reopened file rotated once it passed maxBytes");
  assertContiguous(readAll(path, 3), 30);
  assert.equal(readAll(path, 3)[0]?.seq, 1);
  assert.equal(readEntries(path).at(-1)?.line, "b".repeat(100));
});

test("when the disk falls behind, drops lines beyond the pending limit and writes how many", async () => {
  const path = join(dir, "flood.log");
  const file = new LogFile(path, { maxPendingBytes: 2000 });
  for (let seq = 1; seq <= 100; seq++) file.append(entry(seq, "z".repeat(50)));
  const lost = file.lostLines;
  assert.ok(lost > 0);
  await file.flush();
  file.append(entry(101)); // the first line accepted again: the loss line goes before it
  await file.close();
  const all = readEntries(path);
  assertContiguous(all, 101);
  assert.equal(all.filter((e) => e.lost !== undefined).length, 1);
  assert.equal(all.at(-2)?.lost, lost);
  assert.equal(all.at(-1)?.seq, 101);
  assert.equal(file.lostLines, lost, "the count stays a total once noted in the file");
});

test("a write failure is reported, counted, and never thrown at the writer", async () => {
  writeFileSync(join(dir, "not-a-dir"), "");
  const errors: SteleError[] = [];
  const file = new LogFile(join(dir, "not-a-dir", "x.log"), { onError: (e) => errors.push(e) });
  file.append(entry(1));
  file.append(entry(2));
  await file.flush();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, "io");
  assert.match(errors[0]!.message, /^Cannot write log file: .*x\.log: /);
  assert.ok(errors[0]!.hint);
  assert.equal(file.lostLines, 2);
  file.append(entry(3)); // within the retry delay: counted, not retried
  assert.equal(file.lostLines, 3);
  assert.equal(errors.length, 1);
  rmSync(join(dir, "not-a-dir")); // the disk recovers: the gap is written down on close
  await file.close();
  assert.deepEqual(
    readEntries(join(dir, "not-a-dir", "x.log")).map(({ seq, lost }) => ({ seq, lost })),
    [{ seq: 3, lost: 3 }],
  );
});

test("appending after close is refused", async () => {
  const file = new LogFile(join(dir, "c.log"));
  await file.close();
  await file.close();
  assert.throws(() => file.append(entry(1)), /Cannot append to log file: .*c\.log is closed/);
});

for (const [options, pattern] of [
  [{ maxBytes: 100 }, /Invalid log file size: 100 is outside 4096\.\./],
  [{ keep: 0 }, /Invalid number of rotated log files: 0 is outside 1\.\.100/],
] as const) {
  test(`refuses ${JSON.stringify(options)}`, () => {
    assert.throws(
      () => new LogFile(join(dir, "x.log"), options),
      (error: unknown) => isSteleError(error) && pattern.test(error.message) && !!error.hint,
    );
  });
}
