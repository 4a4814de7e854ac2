import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import fc from "fast-check";
import { decodeHint, encodeHint } from "./metadata-keys.ts";

test("any hint survives a trip through gRPC metadata, non-ASCII and % included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (hint) => {
      const metadata = new Metadata();
      metadata.set("x-stele-hint", encodeHint(hint)); // grpc-js throws on a value it cannot send
      assert.equal(decodeHint(String(metadata.get("x-stele-hint")[0])), hint);
    }),
  );
  assert.equal(encodeHint("Set install.wipe: true…"), "Set install.wipe: true%E2%80%A6");
  assert.equal(encodeHint("plain ASCII stays readable"), "plain ASCII stays readable");
});
