import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LineSplitter } from "./line-splitter.ts";

const lines = (splits: Array<{ line: string }>) => splits.map((s) => s.line);

test("joins a line delivered in pieces and splits a chunk holding several lines", () => {
  const splitter = new LineSplitter(1024);
  assert.deepEqual(splitter.push("hel"), []);
  assert.deepEqual(lines(splitter.push("lo\nworld\n\nnext")), ["hello", "world", ""]);
  assert.deepEqual(lines(splitter.end()), ["next"]);
  assert.deepEqual(splitter.end(), []);
});

test("drops the carriage return of CRLF line ends", () => {
  const splitter = new LineSplitter(1024);
  assert.deepEqual(lines(splitter.push("a\r\nb\r")), ["a"]);
  assert.deepEqual(lines(splitter.push("\n")), ["b"]);
});

test("decodes a UTF-8 character split across chunks", () => {
  const splitter = new LineSplitter(1024);
  const bytes = Buffer.from("ünïcødé ✓\n");
  assert.deepEqual(splitter.push(bytes.subarray(0, 2)), []);
  assert.deepEqual(lines(splitter.push(bytes.subarray(2))), ["ünïcødé ✓"]);
});

test("holds at most the cap of a line without newline and counts what it dropped", () => {
  const splitter = new LineSplitter(256);
  for (let i = 0; i < 1000; i++) splitter.push("x".repeat(1000));
  const [out] = splitter.push("tail\n");
  assert.equal(out?.line, "x".repeat(256));
  assert.equal(out?.cutBytes, 1000 * 1000 - 256 + 4);
});

test("property: any chunking of a text yields the same lines as splitting it whole", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.string({ unit: "grapheme", maxLength: 30 }), fc.constantFrom("\n", "\r", "\r\n")),
        { maxLength: 40 },
      ),
      fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 10 }),
      (parts, cuts) => {
        const bytes = Buffer.from(parts.join(""));
        const splitter = new LineSplitter(64 * 1024);
        const got: string[] = [];
        let from = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          got.push(...lines(splitter.push(bytes.subarray(from, Math.max(from, cut)))));
          from = Math.max(from, cut);
        }
        got.push(...lines(splitter.push(bytes.subarray(from))), ...lines(splitter.end()));
        const expected = bytes
          .toString()
          .split("\n")
          .map((line) => line.replace(/\r$/, ""));
        if (expected.at(-1) === "") expected.pop();
        assert.deepEqual(got, expected);
      },
    ),
  );
});
