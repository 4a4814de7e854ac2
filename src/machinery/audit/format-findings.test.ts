import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../errors.ts";
import type { Finding } from "./finding.ts";
import { type FindingsFormat, formatFindings } from "./format-findings.ts";
import { finding } from "./testdata/finding-fixture.ts";

const findings: Finding[] = [
  finding({
    rule: "extension-review",
    severity: "info",
    file: "worker.yaml",
    line: 90,
    column: 5,
    path: "extensions[0]",
  }),
  finding(),
  finding({
    rule: "rbac-disabled",
    severity: "critical",
    line: 30,
    column: 9,
    path: "features.rbac",
    message: "API roles are not enforced",
  }),
  finding({
    rule: "secret-on-worker",
    severity: "critical",
    file: "worker.yaml",
    line: 70,
    column: 5,
    document: "ClusterConfig",
  }),
];

test("text groups by file (in first-seen order), worst first, one block per finding", () => {
  const text = formatFindings(findings, "text");
  const lines = text.split("\n");
  assert.equal(lines[0], "worker.yaml: 2 findings (1 critical, 1 info)");
  const workerCritical = lines.indexOf(
    "CRITICAL  worker.yaml:70:5 ClusterConfig debug: debug mode is on (debug: true)",
  );
  const workerInfo = lines.indexOf(
    "INFO  worker.yaml:90:5 MachineConfig extensions[0]: debug mode is on (debug: true)",
  );
  const cpHeader = lines.indexOf("controlplane.yaml: 2 findings (1 critical, 1 high)");
  const cpCritical = lines.indexOf(
    "CRITICAL  controlplane.yaml:30:9 MachineConfig features.rbac: API roles are not enforced",
  );
  const cpHigh = lines.indexOf(
    "HIGH  controlplane.yaml:12:8 MachineConfig debug: debug mode is on (debug: true)",
  );
  assert.ok(0 < workerCritical && workerCritical < workerInfo && workerInfo < cpHeader, text);
  assert.ok(cpHeader < cpCritical && cpCritical < cpHigh, text);
  assert.equal(lines[cpHigh + 1], "  why: Debug must be off in production.");
  assert.equal(lines[cpHigh + 2], "  fix: set MachineConfig debug: false");
  assert.equal(lines.at(-1), "4 findings in 2 files: 2 critical, 1 high, 1 info (worst: critical)");
});

test("text says so when there is nothing to report", () => {
  assert.equal(formatFindings([], "text"), "No findings");
});

test("json parses into the findings, a count per severity and the worst", () => {
  const summary = JSON.parse(formatFindings(findings, "json"));
  assert.deepEqual(Object.keys(summary), ["findings", "counts", "worst"]);
  assert.deepEqual(summary.counts, { critical: 2, high: 1, medium: 0, low: 0, info: 1 });
  assert.equal(summary.worst, "critical");
  assert.equal(summary.findings.length, 4);
  for (const item of summary.findings) {
    assert.deepEqual(Object.keys(item), [
      "rule",
      "severity",
      "file",
      "document",
      "path",
      "line",
      "column",
      "message",
      "why",
      "fix",
    ]);
  }
  assert.deepEqual(
    summary.findings.map((f: Finding) => `${f.file}:${f.severity}`),
    ["worker.yaml:critical", "worker.yaml:info", "controlplane.yaml:critical", "controlplane.yaml:high"],
  );
});

test("json is the same bytes whatever the input order and key order", () => {
  const shuffled = [...findings]
    .reverse()
    .map((f) => Object.fromEntries(Object.entries(f).reverse()) as unknown as Finding);
  // Files are grouped in first-seen order: reversed, worker.yaml still comes first.
  assert.equal(shuffled[0]!.file, "worker.yaml");
  assert.equal(formatFindings(shuffled, "json"), formatFindings(findings, "json"));
});

test("json of no findings has zero counts and a null worst", () => {
  assert.deepEqual(JSON.parse(formatFindings([], "json")), {
    findings: [],
    counts: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
    worst: null,
  });
});

test("an unknown format is refused with a hint", () => {
  assert.throws(
    () => formatFindings(findings, "yaml" as FindingsFormat),
    (error) =>
      isSteleError(error) && error.code === "invalid-argument" && error.hint === "use -o text or -o json",
  );
});
