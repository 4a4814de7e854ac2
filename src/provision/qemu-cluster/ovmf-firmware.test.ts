import assert from "node:assert/strict";
import { test } from "node:test";
import { findOvmfFirmware } from "./ovmf-firmware.ts";

test("missing OVMF firmware is refused naming the files and the package to install", () => {
  assert.throws(
    () => findOvmfFirmware({ code: "/nonexistent/OVMF_CODE_4M.fd", vars: "/nonexistent/OVMF_VARS_4M.fd" }),
    {
      code: "failed-precondition",
      message: "UEFI firmware not found: /nonexistent/OVMF_CODE_4M.fd, /nonexistent/OVMF_VARS_4M.fd",
      hint: /apt-get install ovmf.*--boot direct/,
    },
  );
});

test("present firmware is returned as given", () => {
  assert.deepEqual(findOvmfFirmware({ code: import.meta.filename, vars: import.meta.filename }), {
    code: import.meta.filename,
    vars: import.meta.filename,
  });
});
