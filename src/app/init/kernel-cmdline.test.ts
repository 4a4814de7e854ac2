import assert from "node:assert/strict";
import { test } from "node:test";
import { parseKernelCmdline } from "./kernel-cmdline.ts";

const cases: Array<[string, Record<string, string>]> = [
  [
    "console=ttyS0 panic=-1 stele.root=/dev/vdb\n",
    { console: "ttyS0", panic: "-1", "stele.root": "/dev/vdb" },
  ],
  ["ro quiet", { ro: "", quiet: "" }],
  ['a="b c" d=e=f', { a: "b c", d: "e=f" }],
  ["  ", {}],
];
for (const [line, expected] of cases) {
  test(`parses ${JSON.stringify(line)}`, () => {
    assert.deepEqual(Object.fromEntries(parseKernelCmdline(line)), expected);
  });
}
