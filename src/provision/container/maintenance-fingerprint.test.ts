import assert from "node:assert/strict";
import { test } from "node:test";
import { findMaintenanceFingerprint } from "./maintenance-fingerprint.ts";

const fp = (byte: string) => Array.from({ length: 32 }, () => byte).join(":");

test("the fingerprint apid logs is found in a console full of other lines", () => {
  const console = [
    "[keeper] booting stele-local-worker-1",
    `{"level":30,"fingerprint":"${fp("AB")}","msg":"maintenance mode: API certificate fingerprint SHA256 ${fp("AB")}"}`,
    "machined: waiting for a config",
  ].join("\n");
  assert.equal(findMaintenanceFingerprint(console), fp("AB"));
});

test("after a reboot the newest fingerprint counts; none printed yet is undefined", () => {
  const line = (f: string) => `maintenance mode: API certificate fingerprint SHA256 ${f}\n`;
  assert.equal(findMaintenanceFingerprint(line(fp("01")) + "rebooting\n" + line(fp("02"))), fp("02"));
  assert.equal(
    findMaintenanceFingerprint("maintenance mode: API certificate fingerprint SHA256 AB:CD"),
    undefined,
  );
  assert.equal(findMaintenanceFingerprint(""), undefined);
});
