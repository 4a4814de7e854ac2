import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LineSplitter } from "./line-splitter.ts";

/** Feeds `chunks` through a splitter and returns what it emitted. */
function split(chunks: readonly Buffer[], maxLineBytes?: number): Array<[string, number]> {
  const lines: Array<[string, number]> = [];
  const splitter = new LineSplitter(
    (line, cut) => lines.push([line, cut]),
    maxLineBytes ? { maxLineBytes } : {},
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated) into chunks. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

const cases: Array<[string, string[], Array<[string, number]>]> = [
  [
    "one line per newline",
    ["a\nb\n"],
    [
      ["a", 0],
      ["b", 0],
    ],
  ],
  [
    "a line split across chunks",
    ["he", "llo\nwor", "ld\n"],
    [
      ["hello", 0],
      ["world", 0],
    ],
  ],
  [
    "empty lines",
    ["\n\n"],
    [
      ["", 0],
      ["", 0],
    ],
  ],
  [
    "a last line without newline",
    ["a\nlast"],
    [
      ["a", 0],
      ["last", 0],
    ],
  ],
  [
    "CRLF endings",
    ["a\r\nb\r\n"],
    [
      ["a", 0],
      ["b", 0],
    ],
  ],
  ["nothing", [], []],
];
for (const [what, chunks, expected] of cases) {
  test(`splits ${what}`, () => {
    assert.deepEqual(split(chunks.map((chunk) => Buffer.from(chunk))), expected);
  });
}

test("a multi-byte character split across chunks comes out whole", () => {
  const bytes = Buffer.from("é€😀\n");
  assert.deepEqual(split([...bytes].map((byte) => Buffer.from([byte]))), [["é€😀", 0]]);
});

test("a line over the cap keeps whole characters up to the cap and counts the bytes dropped", () => {
  // "€" is 3 bytes: a cap of 7 keeps two of them (6 bytes) rather than half a third one.
  assert.deepEqual(split([Buffer.from("€€€€\nok\n")], 7), [
    ["€€", 6],
    ["ok", 0],
  ]);
  assert.deepEqual(split([Buffer.from("abcdef"), Buffer.from("ghij\n")], 4), [["abcd", 6]]);
});

test("property: any lines, chunked anywhere, come out as they went in", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "grapheme" }).map((line) => line.replace(/[\r\n]/g, ""))),
      fc.array(fc.nat()),
      (lines, cuts) => {
        const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(""));
        const out = split(chunked(bytes, cuts));
        assert.deepEqual(
          out,
          lines.map((line) => [line, 0]),
        );
      },
    ),
  );
});

test("property: no emitted line is longer than the cap, and kept plus cut bytes is the whole line", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc.integer({ min: 4, max: 64 }),
      fc.array(fc.nat()),
      (text, cap, cuts) => {
        const line = text.replace(/[\r\n]/g, "");
        const bytes = Buffer.from(`${line}\n`);
        const out = split(chunked(bytes, cuts), cap);
        assert.equal(out.length, 1);
        const [kept, cut] = out[0]!;
        assert.ok(Buffer.byteLength(kept) <= cap);
        assert.equal(Buffer.byteLength(kept) + cut, Buffer.byteLength(line));
        assert.ok(line.startsWith(kept));
      },
    ),
  );
});
