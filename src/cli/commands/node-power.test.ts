import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSteleError } from "../../machinery/errors.ts";
import { parseBoolean, parseSystemLabels } from "./node-power.ts";

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

describe("parseBoolean", () => {
  test("reads true and false the way talosctl's --graceful=false is written", () => {
    assert.equal(parseBoolean("false"), false);
    assert.equal(parseBoolean("TRUE"), true);
    assert.throws(() => parseBoolean("maybe"), /Not a boolean: maybe/);
  });
});
