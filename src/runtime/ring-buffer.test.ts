import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RingBuffer } from "./ring-buffer.ts";

test("a ring buffer holds the last `capacity` items pushed, oldest first", () => {
  fc.assert(
    fc.property(fc.nat({ max: 8 }), fc.array(fc.integer(), { maxLength: 40 }), (capacity, items) => {
      const ring = new RingBuffer<number>(capacity);
      for (const item of items) ring.push(item);
      const expected = items.slice(Math.max(0, items.length - capacity));
      assert.deepEqual(ring.toArray(), expected);
      assert.equal(ring.size, expected.length);
    }),
  );
});
