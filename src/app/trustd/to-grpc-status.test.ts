import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { SteleError } from "../../machinery/errors.ts";
import { HINT_METADATA_KEY, toGrpcStatus } from "./to-grpc-status.ts";

test("a refused token keeps its message and its hint", () => {
  const error = toGrpcStatus(new SteleError("permission-denied", "Invalid join token", "Fix the token"));
  assert.equal(error.code, status.PERMISSION_DENIED);
  assert.equal(error.details, "Invalid join token");
  assert.deepEqual(error.metadata?.get(HINT_METADATA_KEY), ["Fix the token"]);
});

test("a rate-limited peer gets RESOURCE_EXHAUSTED", () => {
  assert.equal(
    toGrpcStatus(new SteleError("busy", "Too many failed join attempts from x: try again in 5 s")).code,
    status.RESOURCE_EXHAUSTED,
  );
});

test("an unexpected error becomes INTERNAL without its text, which may hold key material", () => {
  const error = toGrpcStatus(new Error("cannot read /secret/path -----BEGIN PRIVATE KEY-----"));
  assert.equal(error.code, status.INTERNAL);
  assert.doesNotMatch(`${error.message} ${error.details}`, /secret|PRIVATE/);
});
