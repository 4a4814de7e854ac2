import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { truncateLine } from "./truncate-line.ts";

test("a line within the cap is returned unchanged", () => {
  assert.equal(truncateLine("hello", 256), "hello");
  assert.equal(truncateLine("é".repeat(128), 256), "é".repeat(128));
});

test("a long line is cut to the cap and says how many bytes are missing", () => {
  const out = truncateLine("x".repeat(1000), 256);
  assert.ok(Buffer.byteLength(out) <= 256);
  const match = /^(x+) …\[truncated (\d+) bytes\]$/.exec(out);
  assert.ok(match, out);
  assert.equal(match[1]!.length + Number(match[2]), 1000);
});

test("bytes cut earlier are counted and force a marker", () => {
  assert.equal(truncateLine("abc", 256, { cutBytes: 10 }), "abc …[truncated 10 bytes]");
});

test("property: the result fits the cap, never splits a character, and accounts for every byte", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme", maxLength: 600 }),
      fc.integer({ min: 64, max: 700 }),
      (line, cap) => {
        const out = truncateLine(line, cap);
        const bytes = Buffer.byteLength(line);
        if (bytes <= cap) return assert.equal(out, line);
        assert.ok(Buffer.byteLength(out) <= cap, `${Buffer.byteLength(out)} > ${cap}`);
        const match = /^([\s\S]*) …\[truncated (\d+) bytes\]$/.exec(out);
        assert.ok(match);
        assert.ok(line.startsWith(match[1]!), "the kept part is not a prefix: a character was split");
        assert.equal(Buffer.byteLength(match[1]!) + Number(match[2]), bytes);
      },
    ),
  );
});
