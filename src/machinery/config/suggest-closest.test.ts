import assert from "node:assert/strict";
import { test } from "node:test";
import { editDistance, suggestClosest } from "./suggest-closest.ts";

const fields = ["install", "network", "certSANs", "sysctls", "files", "features", "registries"];

const cases: Array<[string, string | undefined]> = [
  ["instal", "install"],
  ["netwrok", "network"],
  ["certsans", "certSANs"],
  ["sysctl", "sysctls"],
  ["fiels", "files"],
  ["regsitries", "registries"],
  ["zzz", undefined],
  ["kubernetes", undefined],
  ["x", undefined],
];

for (const [word, expected] of cases) {
  test(`"${word}" suggests ${expected ?? "nothing"}`, () =>
    assert.equal(suggestClosest(word, fields), expected));
}

test("a transposition costs one edit", () => {
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
});
