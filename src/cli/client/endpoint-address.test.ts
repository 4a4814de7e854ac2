import assert from "node:assert/strict";
import { test } from "node:test";
import { endpointAddress } from "./endpoint-address.ts";

for (const [endpoint, address] of [
  ["10.5.0.2", "10.5.0.2:50000"],
  ["10.5.0.2:6000", "10.5.0.2:6000"],
  ["node-1", "node-1:50000"],
  ["fd00::2", "[fd00::2]:50000"],
  ["[fd00::2]", "[fd00::2]:50000"],
  ["[fd00::2]:6000", "[fd00::2]:6000"],
] as const) {
  test(`endpoint ${endpoint} is dialled at ${address}`, () => {
    assert.equal(endpointAddress(endpoint), address);
  });
}
