import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata, status } from "@grpc/grpc-js";
import { type ErrorCode, SteleError } from "../../machinery/errors.ts";
import { HINT_METADATA_KEY, toGrpcStatus } from "./to-grpc-status.ts";

const CASES: ReadonlyArray<[ErrorCode, status]> = [
  ["invalid-argument", status.INVALID_ARGUMENT],
  ["invalid-config", status.INVALID_ARGUMENT],
  ["not-found", status.NOT_FOUND],
  ["already-exists", status.ALREADY_EXISTS],
  ["permission-denied", status.PERMISSION_DENIED],
  ["unauthenticated", status.UNAUTHENTICATED],
  ["failed-precondition", status.FAILED_PRECONDITION],
  ["busy", status.ABORTED],
  ["unavailable", status.UNAVAILABLE],
  ["io", status.INTERNAL],
  ["internal", status.INTERNAL],
];

for (const [code, expected] of CASES) {
  test(`SteleError "${code}" becomes gRPC ${status[expected]} with its message and hint`, () => {
    const result = toGrpcStatus(new SteleError(code, "Something: detail", "Do this next"));
    assert.equal(result.code, expected);
    assert.equal(result.details, "Something: detail");
    assert.deepEqual(result.metadata?.get(HINT_METADATA_KEY), ["Do this next"]);
  });
}

test("a SteleError without a hint sends no hint trailer", () => {
  assert.deepEqual(toGrpcStatus(new SteleError("not-found", "Gone: x")).metadata?.get(HINT_METADATA_KEY), []);
});

test("an unexpected error becomes INTERNAL without leaking its text", () => {
  const result = toGrpcStatus(new Error("ENOENT: /system/secrets/os.key"));
  assert.equal(result.code, status.INTERNAL);
  assert.doesNotMatch(String(result.details), /secrets/);
  assert.equal(result.details, "Internal error: the node failed to handle the request");
  assert.equal(toGrpcStatus("a thrown string").code, status.INTERNAL);
});

test("an error that already carries a gRPC status (forwarded from machined) passes through", () => {
  const forwarded = Object.assign(new Error("5 NOT_FOUND: no such service"), {
    code: status.NOT_FOUND,
    details: "no such service",
    metadata: new Metadata(),
  });
  assert.equal(toGrpcStatus(forwarded), forwarded);
});
