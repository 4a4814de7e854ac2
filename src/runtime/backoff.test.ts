import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { backoffDelay } from "./backoff.ts";

test("the default backoff doubles from 100 ms and stops at 30 s", () => {
  assert.deepEqual(
    Array.from({ length: 12 }, (_, attempt) => backoffDelay(attempt)),
    [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000],
  );
});

test("any backoff grows monotonically, never passes its cap and stays finite", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 10_000_000 }),
      fc.nat({ max: 10_000 }),
      (baseMs, capMs, attempt) => {
        const options = { baseMs, capMs };
        const delay = backoffDelay(attempt, options);
        assert.ok(Number.isFinite(delay) && delay <= capMs);
        assert.ok(backoffDelay(attempt + 1, options) >= delay);
      },
    ),
  );
});
