import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseFingerprint } from "./parse-fingerprint.ts";

const hex64 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString("hex"));

test("any spelling of a fingerprint (case, colons, openssl prefix) reads as the canonical form", () => {
  fc.assert(
    fc.property(hex64, fc.boolean(), fc.boolean(), fc.boolean(), (hex, upper, colons, prefix) => {
      const canonical = (hex.toUpperCase().match(/../g) ?? []).join(":");
      let text = upper ? hex.toUpperCase() : hex;
      if (colons) text = (text.match(/../g) ?? []).join(":");
      if (prefix) text = `sha256 Fingerprint=${text}`;
      assert.equal(parseFingerprint(text), canonical);
    }),
  );
});

test("anything but 32 bytes of hex is refused with a hint", () => {
  for (const bad of ["", "AB:CD", "zz".repeat(32), "AB".repeat(31), "AB".repeat(33)])
    assert.throws(() => parseFingerprint(bad), {
      name: "SteleError",
      message: /^Invalid --cert-fingerprint: /,
    });
});
