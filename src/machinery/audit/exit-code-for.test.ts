import assert from "node:assert/strict";
import { test } from "node:test";
import { exitCodeFor } from "./exit-code-for.ts";
import type { Severity } from "./finding.ts";
import { finding } from "./testdata/finding-fixture.ts";
import { worstSeverity } from "./worst-severity.ts";

const cases: Array<[Severity[], Severity | undefined, number]> = [
  [[], undefined, 0],
  [["info", "info"], "info", 0],
  [["low"], "low", 1],
  [["info", "medium", "low"], "medium", 1],
  [["medium", "high", "info"], "high", 2],
  [["info", "critical", "high", "low"], "critical", 3],
];

for (const [severities, worst, code] of cases) {
  test(`findings [${severities.join(", ")}] are worst ${worst ?? "none"} and exit ${code}`, () => {
    const findings = severities.map((severity) => finding({ severity }));
    assert.equal(worstSeverity(findings), worst);
    assert.equal(exitCodeFor(findings), code);
  });
}
