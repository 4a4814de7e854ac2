import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ShipQueue } from "./ship-queue.ts";

test("ShipQueue keeps the newest lines within both bounds and counts every drop", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 200 }),
      // A size pushes a line of that many bytes; -1 takes the oldest line out (as a send does).
      fc.array(fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(-1)), { maxLength: 200 }),
      (maxLines, maxBytes, ops) => {
        const queue = new ShipQueue({ maxLines, maxBytes });
        const model: { line: string; bytes: number }[] = [];
        let pushed = 0;
        let taken = 0;
        for (const op of ops) {
          if (op === -1) {
            const line = queue.shift();
            assert.equal(line, model.shift()?.line);
            if (line !== undefined) taken++;
            continue;
          }
          const line = `line-${pushed++}`;
          queue.push(line, op);
          if (op <= maxBytes) model.push({ line, bytes: op });
          while (model.length > maxLines || model.reduce((sum, l) => sum + l.bytes, 0) > maxBytes)
            model.shift();
          assert.ok(queue.length <= maxLines);
          assert.ok(queue.bytes <= maxBytes);
        }
        const dropped = queue.dropped;
        const held: string[] = [];
        for (let line = queue.shift(); line !== undefined; line = queue.shift()) held.push(line);
        assert.deepEqual(
          held,
          model.map((l) => l.line),
          "the oldest lines went first",
        );
        assert.equal(taken + held.length + dropped, pushed, "every line was sent, held or counted");
        assert.equal(queue.bytes, 0);
      },
    ),
  );
});

test("ShipQueue.takeDropped reports each drop once", () => {
  const queue = new ShipQueue({ maxLines: 2 });
  for (const line of ["a", "b", "c", "d"]) queue.push(line, 1);
  assert.equal(queue.dropped, 2);
  assert.equal(queue.takeDropped(), 2);
  assert.equal(queue.takeDropped(), 0);
  assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ["c", "d", undefined]);
});

test("ShipQueue drops a line larger than its whole byte budget without evicting the others", () => {
  const queue = new ShipQueue({ maxBytes: 10 });
  queue.push("small", 5);
  queue.push("huge", 11);
  assert.deepEqual([queue.length, queue.dropped, queue.peek()], [1, 1, "small"]);
});
