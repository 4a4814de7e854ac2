import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import fc from "fast-check";
import { isSteleError } from "../../../machinery/errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { ENTRY_OVERHEAD_BYTES } from "./log-limits.ts";
import { LogRing } from "./log-ring.ts";

const KIB = 1024;

/** Writes `count` lines "line <seq>" padded to `bytes`, returning the last entry. */
function fill(ring: LogRing, count: number, bytes = 20): void {
  for (let i = 0; i < count; i++) ring.write("stdout", `line ${ring.lastSeq + 1}`.padEnd(bytes, "."));
}

/** Checks that a reader's entries and loss markers account for seq 1..last exactly once, in order. */
function assertContiguous(seen: readonly LogEntry[], last: number): { lost: number } {
  let expected = 1;
  let lost = 0;
  for (const entry of seen) {
    if (entry.lost !== undefined) {
      assert.ok(entry.lost > 0, "a loss marker reports at least one line");
      assert.equal(entry.seq, expected + entry.lost - 1, "a marker carries the seq of the last line lost");
      expected += entry.lost;
      lost += entry.lost;
    } else {
      assert.equal(entry.seq, expected, `expected seq ${expected}, got ${entry.seq}`);
      expected++;
    }
  }
  assert.equal(expected - 1, last, "the reader saw every line up to the last written");
  return { lost };
}

test("evicts the oldest lines once the ring passes its size in bytes, keeping the newest", () => {
  const ring = new LogRing({ maxBytes: 64 * KIB, maxLineBytes: 4 * KIB });
  const perLine = 1000 + ENTRY_OVERHEAD_BYTES;
  const capacity = Math.floor((64 * KIB) / perLine);
  fill(ring, 200, 1000);
  assert.equal(ring.size, capacity);
  assert.ok(ring.bytes <= ring.maxBytes);
  assert.equal(ring.bytes, capacity * perLine);
  assert.equal(ring.lastSeq, 200);
  assert.equal(ring.firstSeq, 200 - capacity + 1);
  assert.deepEqual(
    ring.tail(Infinity).map((e) => e.seq),
    Array.from({ length: capacity }, (_, i) => 200 - capacity + 1 + i),
  );
});

test("charges every entry an overhead, so a flood of empty lines is bounded too", () => {
  const ring = new LogRing({ maxBytes: 64 * KIB });
  for (let i = 0; i < 10_000; i++) ring.write("stdout", "");
  assert.equal(ring.size, Math.floor((64 * KIB) / ENTRY_OVERHEAD_BYTES));
});

test("cuts a line longer than the cap and marks it; the newest line is kept even if it fills the ring", () => {
  const ring = new LogRing({ maxBytes: 64 * KIB, maxLineBytes: 64 * KIB });
  ring.write("stdout", "first");
  const entry = ring.write("stderr", "y".repeat(100 * KIB));
  assert.ok(Buffer.byteLength(entry.line) <= 64 * KIB);
  assert.match(entry.line, /^y+ …\[truncated \d+ bytes\]$/);
  assert.deepEqual(
    ring.tail(10).map((e) => e.seq),
    [2],
  );
});

test("tail returns the last n lines oldest first; since returns the lines after a seq", () => {
  const ring = new LogRing();
  fill(ring, 10);
  assert.deepEqual(
    ring.tail(3).map((e) => e.seq),
    [8, 9, 10],
  );
  assert.deepEqual(ring.tail(0), []);
  assert.equal(ring.tail(100).length, 10);
  assert.deepEqual(
    ring.since(7).map((e) => e.seq),
    [8, 9, 10],
  );
  assert.deepEqual(ring.since(10), []);
  assert.equal(ring.since(0).length, 10);
});

test("since reports evicted lines with a loss marker instead of skipping them", () => {
  const ring = new LogRing({ maxBytes: 64 * KIB });
  fill(ring, 2000, 100);
  const first = ring.firstSeq;
  assert.ok(first > 1);
  const out = ring.since(5);
  assert.equal(out[0]!.lost, first - 6);
  assertContiguous([...ring.since(0)], 2000);
  assert.equal(out.length, 1 + ring.size);
});

for (const [options, pattern] of [
  [{ maxBytes: 1024 }, /Invalid log ring size: 1024 bytes is outside 65536\.\.67108864/],
  [{ maxBytes: 65 * 1024 * 1024 }, /Invalid log ring size/],
  [{ maxBytes: 64 * KIB, maxLineBytes: 100 }, /Invalid log line cap: 100 bytes/],
  [{ maxBytes: 64 * KIB, maxLineBytes: 128 * KIB }, /Invalid log line cap/],
] as const) {
  test(`refuses ${JSON.stringify(options)} with a hint`, () => {
    assert.throws(
      () => new LogRing(options),
      (error: unknown) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        pattern.test(error.message) &&
        !!error.hint,
    );
  });
}

test("refuses a negative or NaN line count and a seq that is not a whole number", () => {
  const ring = new LogRing();
  for (const call of [
    () => ring.tail(-1),
    () => ring.tail(Number.NaN),
    () => ring.since(-1),
    () => ring.since(1.5),
    () => ring.follow({ afterSeq: Number.NaN }),
    () => ring.follow({ tailLines: -5 }),
  ]) {
    assert.throws(
      call,
      (error: unknown) => isSteleError(error) && error.code === "invalid-argument" && !!error.hint,
    );
  }
});

test("follow yields the last N lines, then each new line as it is written", async () => {
  const ring = new LogRing();
  fill(ring, 10);
  const controller = new AbortController();
  const seen: number[] = [];
  const reading = (async () => {
    for await (const entry of ring.follow({ tailLines: 3, signal: controller.signal })) {
      seen.push(entry.seq);
      if (entry.seq === 12) controller.abort();
    }
  })();
  await nextTurn();
  assert.deepEqual(seen, [8, 9, 10]);
  fill(ring, 2);
  await reading;
  assert.deepEqual(seen, [8, 9, 10, 11, 12]);
});

test("follow with tailLines 0 yields only new lines; afterSeq resumes after a seq", async () => {
  const ring = new LogRing();
  fill(ring, 5);
  const fresh = ring.follow({ tailLines: 0 });
  const resumed = ring.follow({ afterSeq: 3 });
  fill(ring, 1);
  assert.equal((await fresh.next()).value?.seq, 6);
  assert.equal((await resumed.next()).value?.seq, 4);
  await fresh.return();
  await resumed.return();
});

test("a follower sees seq 1..N exactly once, in order, while 100k lines are written in bursts", async () => {
  const ring = new LogRing();
  const total = 100_000;
  const seen: LogEntry[] = [];
  fill(ring, 500);
  const reading = (async () => {
    for await (const entry of ring.follow()) seen.push(entry);
  })();
  let burst = 1;
  while (ring.lastSeq < total) {
    fill(ring, Math.min(burst, total - ring.lastSeq), 100);
    burst = (burst * 7 + 3) % 3000; // bursts of varied size, all smaller than the ring
    await nextTurn();
  }
  ring.close();
  await reading;
  const { lost } = assertContiguous(seen, total);
  assert.equal(lost, 0);
  assert.equal(seen.length, total);
});

test("a follower slower than the ring gets one marker with the number of lines lost, then continues", async () => {
  const ring = new LogRing({ maxBytes: 64 * KIB });
  fill(ring, 10, 100);
  const follower = ring.follow({ tailLines: 10 });
  for (let seq = 1; seq <= 5; seq++) assert.equal((await follower.next()).value?.seq, seq);
  fill(ring, 5000, 100);
  const marker = (await follower.next()).value!;
  assert.equal(marker.lost, ring.firstSeq - 6);
  assert.equal(marker.seq, ring.firstSeq - 1);
  assert.equal(marker.stream, "machined");
  assert.match(marker.line, new RegExp(`^\\[${marker.lost} lines lost: `));
  assert.equal((await follower.next()).value?.seq, ring.firstSeq);
  await follower.return();
});

test("property: any interleaving of writes and slow reads accounts for every line exactly once", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 1500 })), {
        minLength: 1,
        maxLength: 20,
      }),
      async (steps) => {
        const ring = new LogRing({ maxBytes: 64 * KIB });
        const follower = ring.follow();
        const seen: LogEntry[] = [];
        const read = async (n: number) => {
          for (let i = 0; i < n && (seen.at(-1)?.seq ?? 0) < ring.lastSeq; i++) {
            seen.push((await follower.next()).value!);
          }
        };
        for (const [writes, reads] of steps) {
          fill(ring, writes, 100);
          await read(reads);
        }
        ring.close();
        for await (const entry of follower) seen.push(entry);
        assertContiguous(seen, ring.lastSeq);
      },
    ),
    { numRuns: 50 },
  );
});

test("aborting the signal ends a waiting follower and releases it", async () => {
  const ring = new LogRing();
  const controller = new AbortController();
  const follower = ring.follow({ signal: controller.signal });
  const pending = follower.next();
  setTimeout(() => controller.abort(), 5);
  assert.deepEqual(await pending, { value: undefined, done: true });
});

test("close lets followers read what is held, then end; later writes are refused", async () => {
  const ring = new LogRing();
  fill(ring, 3);
  const follower = ring.follow({ tailLines: 2 });
  ring.close();
  const seqs: number[] = [];
  for await (const entry of follower) seqs.push(entry.seq);
  assert.deepEqual(seqs, [2, 3]);
  assert.throws(() => ring.write("stdout", "late"), /Cannot write to the log ring: it is closed/);
});
