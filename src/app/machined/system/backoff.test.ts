import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../../../machinery/errors.ts";
import { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from "./backoff.ts";

test("the default backoff doubles from 1 s up to a 30 s cap", () => {
  const delays = Array.from({ length: 8 }, (_, i) => backoffDelay(DEFAULT_BACKOFF, i + 1));
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
});

test("a streak of any length stays at the cap, never Infinity", () => {
  assert.equal(backoffDelay(DEFAULT_BACKOFF, 1_000_000), 30_000);
});

test("property: delays start at initialMs, never decrease, and never pass the cap", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.double({ min: 1, max: 10, noNaN: true }),
      (initialMs, extra, factor) => {
        const policy = resolveBackoff({ initialMs, maxMs: initialMs + extra, factor }, "svc");
        assert.equal(backoffDelay(policy, 1), initialMs);
        let previous = 0;
        for (let streak = 1; streak < 60; streak++) {
          const delay = backoffDelay(policy, streak);
          assert.ok(delay >= previous && delay <= policy.maxMs);
          previous = delay;
        }
      },
    ),
  );
});

const invalid: Array<[object, string]> = [
  [{ initialMs: 0 }, "initialMs must be positive, got 0"],
  [{ initialMs: 10, maxMs: 5 }, "maxMs 5 is below initialMs 10"],
  [{ factor: 0.5 }, "factor must be at least 1, got 0.5"],
  [{ resetAfterMs: -1 }, "resetAfterMs must not be negative, got -1"],
  [{ maxMs: Number.POSITIVE_INFINITY }, "maxMs must be a finite number, got Infinity"],
];
for (const [options, detail] of invalid) {
  test(`refuses ${JSON.stringify(options)}: ${detail}`, () => {
    assert.throws(
      () => resolveBackoff(options, "etcd"),
      (error: unknown) =>
        isSteleError(error) &&
        error.message === `Invalid backoff of service "etcd": ${detail}` &&
        error.hint !== undefined,
    );
  });
}

test("fields left out or undefined take their defaults", () => {
  assert.deepEqual(resolveBackoff({ maxMs: 5_000, factor: undefined }, "svc"), {
    ...DEFAULT_BACKOFF,
    maxMs: 5_000,
  });
});
