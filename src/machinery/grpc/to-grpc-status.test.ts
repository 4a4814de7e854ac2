import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { SteleError } from "../errors.ts";
import { HINT_METADATA_KEY } from "./metadata-keys.ts";
import { toGrpcStatus } from "./to-grpc-status.ts";

const options = { component: "machined", logsHint: "read machined's log" };

test("a Stele error keeps its message as details and its hint as a trailer", () => {
  const error = toGrpcStatus(
    new SteleError("busy", "Sequence reboot is running: wait", "retry later"),
    options,
  );
  assert.equal(error.code, status.ABORTED);
  assert.equal(error.details, "Sequence reboot is running: wait");
  assert.deepEqual(error.metadata?.get(HINT_METADATA_KEY), ["retry later"]);
});

test("a component may give a code its own meaning", () => {
  const error = toGrpcStatus(new SteleError("busy", "Too many attempts"), {
    ...options,
    overrides: { busy: status.RESOURCE_EXHAUSTED },
  });
  assert.equal(error.code, status.RESOURCE_EXHAUSTED);
});

test("a status forwarded from upstream passes through unchanged", () => {
  const upstream = Object.assign(new Error("x"), { code: status.NOT_FOUND, details: "Unknown service: x" });
  assert.equal(toGrpcStatus(upstream, options), upstream);
});

test("an unexpected error becomes INTERNAL with a fixed message that names the component, never its text", () => {
  const error = toGrpcStatus(
    new Error("cannot open /state/config.yaml: -----BEGIN PRIVATE KEY-----"),
    options,
  );
  assert.equal(error.code, status.INTERNAL);
  assert.equal(error.details, "Internal error: machined failed to handle the request");
  assert.deepEqual(error.metadata?.get(HINT_METADATA_KEY), ["read machined's log"]);
});
