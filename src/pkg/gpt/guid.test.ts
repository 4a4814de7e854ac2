import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeGuid, encodeGuid, isGuid, randomGuid } from "./guid.ts";
import { PartitionType } from "./partition-types.ts";

test("a GUID is stored mixed-endian, as UEFI firmware reads it", () => {
  const bytes = new Uint8Array(16);
  encodeGuid(PartitionType.efiSystem, bytes, 0);
  assert.equal(Buffer.from(bytes).toString("hex"), "28732ac11ff8d211ba4b00a0c93ec93b");
  assert.equal(decodeGuid(bytes, 0), PartitionType.efiSystem);
});

test("any GUID reads back as written, in upper case", () => {
  fc.assert(
    fc.property(fc.uuid(), fc.nat(8), (guid, at) => {
      const bytes = new Uint8Array(32);
      encodeGuid(guid, bytes, at);
      assert.equal(decodeGuid(bytes, at), guid.toUpperCase());
    }),
  );
});

test("random GUIDs are valid, upper case and distinct", () => {
  const a = randomGuid();
  assert.ok(isGuid(a));
  assert.equal(a, a.toUpperCase());
  assert.notEqual(a, randomGuid());
});

test("a malformed GUID is refused", () => {
  assert.throws(() => encodeGuid("C12A7328-F81F-11D2-BA4B-00A0C93EC93", new Uint8Array(16), 0), /Not a GUID/);
  assert.equal(isGuid("zz2A7328-F81F-11D2-BA4B-00A0C93EC93B"), false);
});
