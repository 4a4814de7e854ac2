import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateJsonPath } from "./json-path.ts";

const spec = { address: "10.5.0.2/24", link: { name: "eth0", mtu: 1500 }, routes: [{ gateway: "10.5.0.1" }] };

for (const [path, expected] of [
  ["{.address}", "10.5.0.2/24"],
  ["{.link.name}", "eth0"],
  ["{.link.mtu}", "1500"],
  ["{.routes[0].gateway}", "10.5.0.1"],
  ["{.link}", '{"name":"eth0","mtu":1500}'],
  ["{.missing.deeper}", ""],
] as const) {
  test(`print column ${path} reads ${JSON.stringify(expected)}`, () => {
    assert.equal(evaluateJsonPath(spec, path), expected);
  });
}
