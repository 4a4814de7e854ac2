import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyNodeExit, type NodeExit } from "./node-exit.ts";

for (const [code, signal, expected] of [
  [null, "SIGHUP", { kind: "reboot" }],
  [null, "SIGINT", { kind: "poweroff" }],
  [0, null, { kind: "poweroff" }],
  [1, null, { kind: "failed", reason: "exited with code 1" }],
  [137, null, { kind: "failed", reason: "exited with code 137" }],
  [null, "SIGKILL", { kind: "failed", reason: "killed by SIGKILL" }],
  [null, "SIGSEGV", { kind: "failed", reason: "killed by SIGSEGV" }],
] as const satisfies ReadonlyArray<readonly [number | null, NodeJS.Signals | null, NodeExit]>) {
  test(`a node that ended with ${signal ?? `code ${code}`} is a ${expected.kind}`, () => {
    assert.deepEqual(classifyNodeExit(code, signal), expected);
  });
}
