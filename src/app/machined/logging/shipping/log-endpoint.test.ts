import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLogEndpoint } from "./log-endpoint.ts";

const cases: [string, ReturnType<typeof parseLogEndpoint> | "invalid"][] = [
  ["tcp://10.0.0.5:5514", { transport: "tcp", host: "10.0.0.5", port: 5514 }],
  ["udp://logs.example.com:514", { transport: "udp", host: "logs.example.com", port: 514 }],
  ["tls://[fd00::1]:6514", { transport: "tls", host: "fd00::1", port: 6514 }],
  ["http://logs.example.com:80", "invalid"],
  ["tcp://logs.example.com", "invalid"],
  ["logs.example.com:514", "invalid"],
];

for (const [endpoint, expected] of cases) {
  test(`${endpoint} ${expected === "invalid" ? "is refused" : `is ${expected.transport} to ${expected.host}`}`, () => {
    if (expected === "invalid") {
      assert.throws(() => parseLogEndpoint(endpoint), { name: "SteleError", code: "invalid-config" });
    } else assert.deepEqual(parseLogEndpoint(endpoint), expected);
  });
}
