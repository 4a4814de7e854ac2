import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { unifiedDiff } from "./unified-diff.ts";

/** Applies a unified diff to `before`, as patch(1) would: the check that a diff says what changed. */
function applyPatch(before: string, diff: string): string {
  const old = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let at = 0;
  const lines = diff.replace(/\n$/, "").split("\n").slice(2);
  for (const line of lines) {
    const hunk = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[2]) === 0 ? Number(hunk[1]) : Number(hunk[1]) - 1;
      while (at < start) out.push(old[at++]!);
      continue;
    }
    if (line.startsWith("+")) out.push(line.slice(1));
    else if (line.startsWith("-")) at++;
    else out.push(old[at++]!);
  }
  while (at < old.length) out.push(old[at++]!);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

test("equal texts have an empty diff", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n"), "");
});

test("a changed line is shown as removed then added, with three lines of context", () => {
  const before = "1\n2\n3\n4\n5\n6\n7\n8\n";
  const after = "1\n2\n3\n4\nfive\n6\n7\n8\n";
  assert.equal(
    unifiedDiff(before, after, { from: "running", to: "new" }),
    "--- running\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
  );
});

test("distant changes make separate hunks", () => {
  const before = `${Array.from({ length: 20 }, (_, i) => `l${i}`).join("\n")}\n`;
  const after = before.replace("l1\n", "x1\n").replace("l18\n", "x18\n");
  assert.equal(unifiedDiff(before, after).match(/^@@/gm)?.length, 2);
});

test("applying the diff to the old text gives the new text", () => {
  const text = fc
    .array(fc.constantFrom("a", "b", "c", "d", ""), { maxLength: 30 })
    .map((lines) => (lines.length === 0 ? "" : `${lines.join("\n")}\n`));
  fc.assert(
    fc.property(text, text, (before, after) => {
      assert.equal(applyPatch(before, unifiedDiff(before, after)), after);
    }),
    { numRuns: 300 },
  );
});
