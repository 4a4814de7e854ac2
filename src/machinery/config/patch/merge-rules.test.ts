import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { LIST_ELEMENT, type ListRule, listRuleFor, mergeRules } from "./merge-rules.ts";

function describeRule(rule: ListRule): string {
  return rule.type === "merge-by-key" ? `merge by key \`${rule.key}\`` : rule.type;
}

test("README.md lists exactly the rules of mergeRules, in order", () => {
  const readme = readFileSync(new URL("README.md", import.meta.url), "utf8");
  const rows = readme
    .split("\n")
    .filter((line) => /^\|\s*\w+\s*\|\s*`[^`]+`\s*\|/.test(line))
    .map((line) => line.split("|").map((cell) => cell.trim()));
  assert.deepEqual(
    rows.map(([, kind, path, rule]) => ({ kind, path: path?.slice(1, -1), rule })),
    mergeRules.map((row) => ({ kind: row.kind, path: row.path, rule: describeRule(row.rule) })),
  );
});

test("every list path not in the table is replaced", () => {
  assert.deepEqual(listRuleFor("MachineConfig", ["network", "nameservers"]), { type: "replace" });
  assert.deepEqual(listRuleFor("WorkerConfig", ["network", "interfaces"]), { type: "replace" });
});

test("rule paths step into list elements with []", () => {
  assert.deepEqual(listRuleFor("MachineConfig", ["network", "interfaces", LIST_ELEMENT, "routes"]), {
    type: "merge-by-key",
    key: "network",
  });
  assert.deepEqual(listRuleFor("MachineConfig", ["network", "interfaces", "[]", "routes"]), {
    type: "replace",
  });
});

test("no list path has two rules", () => {
  const seen = mergeRules.map((row) => `${row.kind} ${row.path}`);
  assert.equal(new Set(seen).size, seen.length);
});
