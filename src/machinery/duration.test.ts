import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatDuration, parseDuration } from "./duration.ts";
import { isSteleError } from "./errors.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const cases: Array<[string, number]> = [
  ["8760h", 8760 * HOUR],
  ["1y", 365 * DAY],
  ["30d", 30 * DAY],
  ["90m", 90 * 60_000],
  ["1h30m", 90 * 60_000],
  ["87600h0m0s", 87600 * HOUR],
  ["1.5h", 90 * 60_000],
  ["250ms", 250],
  ["1m1ms", 60_001],
  ["0", 0],
  [" 10s ", 10_000],
];
for (const [text, ms] of cases) {
  test(`parses ${JSON.stringify(text)} as ${ms} ms`, () => {
    assert.equal(parseDuration(text), ms);
  });
}

const bad: Array<[string, RegExp]> = [
  ["", /empty/],
  ["365", /365 has no unit/],
  ["-1h", /negative/],
  ["1 h", /at "1 h"/],
  ["1w", /at "1w"/],
  ["abc", /expected a number followed by a unit/],
  ["1h30", /30 has no unit/],
  ["99999999999y", /too long/],
];
for (const [text, detail] of bad) {
  test(`refuses ${JSON.stringify(text)}, naming it`, () => {
    assert.throws(
      () => parseDuration(text, { label: "--crt-ttl" }),
      (error: unknown) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        error.message.startsWith(`Invalid duration ${JSON.stringify(text)} in --crt-ttl: `) &&
        detail.test(error.message) &&
        typeof error.hint === "string",
    );
  });
}

test("formats in the largest units, leaving zero components out", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(90 * 60_000), "1h30m");
  assert.equal(formatDuration(8760 * HOUR), "1y");
  assert.equal(formatDuration(10 * 365 * DAY + DAY + 1), "10y1d1ms");
  assert.throws(() => formatDuration(-1), /non-negative/);
});

test("formatDuration and parseDuration round-trip every whole number of milliseconds", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (ms) => parseDuration(formatDuration(ms)) === ms),
    { numRuns: 2000 },
  );
});

test("a duration written as any sequence of components is their sum", () => {
  const unitMs = { y: 365 * DAY, d: DAY, h: HOUR, m: 60_000, s: 1000, ms: 1 } as const;
  const component = fc.tuple(
    fc.nat(10_000),
    fc.constantFrom(...(Object.keys(unitMs) as Array<keyof typeof unitMs>)),
  );
  fc.assert(
    fc.property(fc.array(component, { minLength: 1, maxLength: 6 }), (components) => {
      const text = components.map(([n, unit]) => `${n}${unit}`).join("");
      const expected = components.reduce((sum, [n, unit]) => sum + n * unitMs[unit], 0);
      return parseDuration(text) === expected;
    }),
    { numRuns: 1000 },
  );
});
