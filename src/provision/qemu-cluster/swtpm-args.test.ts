import assert from "node:assert/strict";
import { test } from "node:test";
import { swtpmArgs } from "./swtpm-args.ts";

test("swtpm runs a TPM 2.0 on a unix control socket with its state in the node dir, and ends with its VM", () => {
  const args = swtpmArgs({
    stateDir: "/c/n/tpm",
    socket: "/c/n/swtpm.sock",
    pidFile: "/c/n/swtpm.pid",
    logFile: "/c/n/swtpm.log",
  });
  assert.equal(args[0], "socket");
  assert.ok(args.includes("--tpm2"));
  assert.equal(args[args.indexOf("--tpmstate") + 1], "dir=/c/n/tpm");
  assert.equal(args[args.indexOf("--ctrl") + 1], "type=unixio,path=/c/n/swtpm.sock");
  assert.equal(args[args.indexOf("--pid") + 1], "file=/c/n/swtpm.pid");
  assert.ok(args.includes("--terminate"));
});
