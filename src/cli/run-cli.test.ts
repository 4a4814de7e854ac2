import assert from "node:assert/strict";
import { test } from "node:test";
import { SteleError } from "../machinery/errors.ts";
import { formatError } from "./run-cli.ts";

test("a Stele error prints as one error line and its hint", () => {
  const text = formatError(new SteleError("invalid-config", "Machine config rejected: bad", "fix it"));
  assert.equal(text, "error: Machine config rejected: bad\nhint: fix it\n");
});

test("an unexpected error is reported as a bug with its detail", () => {
  const text = formatError(new TypeError("boom"));
  assert.match(text, /^error: unexpected failure: TypeError: boom/);
  assert.match(text, /hint: this is a bug in stelectl/);
});
