import assert from "node:assert/strict";
import { test } from "node:test";
import { trustdTarget } from "./trustd-target.ts";

const cases: Array<[string, string]> = [
  ["10.0.0.10", "10.0.0.10:50001"],
  ["10.0.0.10:6000", "10.0.0.10:6000"],
  ["cp-1.example.com", "cp-1.example.com:50001"],
  ["fd00::1", "[fd00::1]:50001"],
  ["[fd00::1]", "[fd00::1]:50001"],
  ["[fd00::1]:6000", "[fd00::1]:6000"],
];
for (const [endpoint, target] of cases) {
  test(`endpoint ${endpoint} is dialled as ${target}`, () => assert.equal(trustdTarget(endpoint), target));
}

test("an endpoint that is no host is refused with a hint", () => {
  for (const bad of ["", "https://cp-1", "a b"]) {
    assert.throws(() => trustdTarget(bad), { name: "SteleError", code: "invalid-argument" });
  }
});
