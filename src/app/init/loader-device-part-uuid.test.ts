import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  LOADER_DEVICE_PART_UUID_FILE,
  parseLoaderDevicePartUuid,
  readLoaderDevicePartUuid,
} from "./loader-device-part-uuid.ts";

const dir = mkdtempSync(join(tmpdir(), "loader-uuid-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An efivarfs file as the kernel shows it: attributes (NV|BS|RT = 7) then UTF-16LE with a NUL. */
function efivar(value: string): Buffer {
  return Buffer.concat([Buffer.from([7, 0, 0, 0]), Buffer.from(`${value}\0`, "utf16le")]);
}

test("reads the GUID systemd-stub stored, in lower case", () => {
  writeFileSync(join(dir, LOADER_DEVICE_PART_UUID_FILE), efivar("6A2F7F0B-7E3C-4C5B-9D27-1B2C3D4E5F60"));
  assert.equal(readLoaderDevicePartUuid(dir), "6a2f7f0b-7e3c-4c5b-9d27-1b2c3d4e5f60");
});

test("no variable, no efivarfs, or a value that is not a GUID: undefined", () => {
  assert.equal(readLoaderDevicePartUuid(join(dir, "missing")), undefined);
  assert.equal(parseLoaderDevicePartUuid(efivar("not-a-guid")), undefined);
  assert.equal(parseLoaderDevicePartUuid(new Uint8Array([7, 0])), undefined);
});
