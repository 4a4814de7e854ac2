import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSteleError } from "../../machinery/errors.ts";
import { parseSystemLabels } from "./node-power.ts";

describe("parseSystemLabels", () => {
  test("takes known labels in any case, comma-separated", () => {
    assert.deepEqual(parseSystemLabels("ephemeral"), ["EPHEMERAL"]);
    assert.deepEqual(parseSystemLabels("STATE, ephemeral"), ["STATE", "EPHEMERAL"]);
  });

  test("names an unknown label and lists the known ones", () => {
    assert.throws(
      () => parseSystemLabels("EPHEMERAL,BOOT"),
      (error: unknown) =>
        isSteleError(error) && error.message.includes("BOOT") && (error.hint ?? "").includes("STATE"),
    );
    assert.throws(() => parseSystemLabels(" , "), /none given/);
  });
});
