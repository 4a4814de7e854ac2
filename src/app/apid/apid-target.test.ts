import assert from "node:assert/strict";
import { test } from "node:test";
import { apidTarget } from "./apid-target.ts";

const cases: Array<[string, string]> = [
  ["10.0.0.11", "10.0.0.11:50000"],
  ["10.0.0.11:6000", "10.0.0.11:6000"],
  ["worker-1.example.com", "worker-1.example.com:50000"],
  ["fd00::1", "[fd00::1]:50000"],
  ["[fd00::1]", "[fd00::1]:50000"],
  ["[fd00::1]:6000", "[fd00::1]:6000"],
];
for (const [node, target] of cases) {
  test(`node ${node} is dialled as ${target}`, () => assert.equal(apidTarget(node), target));
}

test("a node name that is no host is refused with a hint", () => {
  for (const bad of ["", "https://cp-1", "a b", "host:port", "host:0", "[not-v6]:1", "a:b:c", "unix:/x"]) {
    assert.throws(() => apidTarget(bad), { name: "SteleError", code: "invalid-argument" }, bad);
  }
});
