import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { linePrefixer } from "./line-prefixer.ts";

test("however the bytes are chunked, every line is printed whole with its node", () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z ]{0,8}$/), { maxLength: 6 }),
      fc.array(fc.nat(40)),
      (lines, cuts) => {
        const text = lines.map((line) => `${line}\n`).join("");
        const bytes = Buffer.from(text);
        let out = "";
        const prefixer = linePrefixer("n1: ", (t) => {
          out += t;
        });
        let at = 0;
        for (const cut of [
          ...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b),
          bytes.length,
        ]) {
          prefixer.push(bytes.subarray(at, Math.max(at, cut)));
          at = Math.max(at, cut);
        }
        prefixer.flush();
        assert.equal(out, lines.map((line) => `n1: ${line}\n`).join(""));
      },
    ),
  );
});

test("a last line without a newline is printed at the end", () => {
  let out = "";
  const prefixer = linePrefixer("n1: ", (t) => {
    out += t;
  });
  prefixer.push(Buffer.from("a\nb"));
  prefixer.flush();
  assert.equal(out, "n1: a\nn1: b\n");
});
