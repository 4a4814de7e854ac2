import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DEFAULT_RETRY_DELAY, retryDelay } from "./retry-delay.ts";

test("the delay doubles from the base and stops at the cap", () => {
  const top = () => 0.999_999;
  const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => retryDelay(attempt, { random: top }));
  assert.deepEqual(delays, [999, 1_999, 3_999, 7_999, 15_999, 29_999, 29_999]);
  assert.equal(retryDelay(1_000, { random: top }), DEFAULT_RETRY_DELAY.capMs - 1);
});

test("jitter keeps every delay within [d/2, d) and never above the cap", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2_000 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 120_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, baseMs, capMs, r) => {
        const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
        const delay = retryDelay(attempt, { baseMs, capMs, random: () => r });
        return delay >= Math.floor(ceiling / 2) && delay <= ceiling && delay <= capMs;
      },
    ),
  );
});

test("two workers with different random draws wait different times", () => {
  assert.notEqual(retryDelay(3, { random: () => 0.1 }), retryDelay(3, { random: () => 0.9 }));
});
