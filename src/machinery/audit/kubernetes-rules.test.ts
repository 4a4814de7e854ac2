import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseBoolFlag } from "./kubernetes-rules.ts";

const TRUE = ["1", "t", "T", "TRUE", "true", "True"];
const FALSE = ["0", "f", "F", "FALSE", "false", "False"];

test("boolean flags read as Kubernetes (Go's strconv.ParseBool) reads them", () => {
  for (const value of TRUE) assert.equal(parseBoolFlag(value), true, value);
  for (const value of FALSE) assert.equal(parseBoolFlag(value), false, value);
});

test("anything else is not a boolean, so a rule never mistakes it for the secure value", () => {
  fc.assert(
    fc.property(
      fc.string().filter((s) => !TRUE.includes(s) && !FALSE.includes(s)),
      (value) => parseBoolFlag(value) === undefined,
    ),
    { numRuns: 2000 },
  );
  for (const value of ["yes", "no", "off", " false", "fALSE", ""])
    assert.equal(parseBoolFlag(value), undefined, value);
});
