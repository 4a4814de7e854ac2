import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fitText } from "./fit-text.ts";
import { sparkline } from "./sparkline.ts";

test("a sparkline scales values to the eight blocks, newest on the right", () => {
  assert.equal(sparkline([0, 50, 100], { width: 3, max: 100 }), "▁▅█");
  assert.equal(sparkline([1, 2], { width: 2 }), "▅█");
});

test("a sparkline keeps the last values and pads short series on the left", () => {
  assert.equal(sparkline([100, 0, 100], { width: 2, max: 100 }), "▁█");
  assert.equal(sparkline([100], { width: 3, max: 100 }), "  █");
});

test("an all-zero series is a flat line, not NaN", () => {
  assert.equal(sparkline([0, 0], { width: 2 }), "▁▁");
});

test("a sparkline is always exactly its width", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 1e12, noNaN: true })),
      fc.nat({ max: 200 }),
      (values, width) => {
        return [...sparkline(values, { width })].length === width;
      },
    ),
  );
});

test("fitText pads short text and cuts long text with an ellipsis", () => {
  assert.equal(fitText("ab", 4), "ab  ");
  assert.equal(fitText("abcdef", 4), "abc…");
  assert.equal(fitText("a\nb", 3), "a b");
});

test("fitText is always exactly the width asked", () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.nat({ max: 300 }),
      (text, width) => [...fitText(text, width)].length === width,
    ),
  );
});
