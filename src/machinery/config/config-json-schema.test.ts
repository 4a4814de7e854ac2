import assert from "node:assert/strict";
import { test } from "node:test";
import { configJsonSchema } from "./config-json-schema.ts";
import { CONFIG_KIND_NAMES } from "./schema/config-kinds.ts";

type Json = Record<string, unknown>;

test("each kind has a strict JSON Schema with its kind fixed", () => {
  for (const kind of CONFIG_KIND_NAMES) {
    const schema = configJsonSchema(kind) as Json & { properties: Record<string, Json>; required: string[] };
    assert.equal(schema["$id"], `https://stele.dev/schemas/v1alpha1/${kind}.json`);
    assert.equal(schema["additionalProperties"], false, kind);
    assert.deepEqual(schema.properties["kind"]?.["const"], kind);
    assert.ok(schema.required.includes("apiVersion") && schema.required.includes("kind"));
  }
});

test("the MachineConfig schema documents types, defaults and examples", () => {
  const schema = configJsonSchema("MachineConfig") as {
    properties: Record<string, Json>;
    required: string[];
  };
  assert.deepEqual(schema.required.sort(), ["apiVersion", "ca", "kind", "token", "type"]);
  assert.deepEqual(schema.properties["type"]?.["enum"], ["controlplane", "worker"]);
  assert.equal(schema.properties["debug"]?.["default"], false);
  const sysctls = schema.properties["sysctls"]!;
  assert.deepEqual(sysctls["default"], {});
  assert.deepEqual(sysctls["examples"], [{ "net.ipv4.ip_forward": "1" }]);
  const install = schema.properties["install"] as { properties: Record<string, Json> };
  assert.equal(typeof install.properties["disk"]?.["description"], "string");
});

test("the combined schema offers one branch per kind", () => {
  const schema = configJsonSchema() as { oneOf: Array<{ $ref: string }>; $defs: Record<string, Json> };
  assert.deepEqual(
    schema.oneOf.map((branch) => branch.$ref),
    CONFIG_KIND_NAMES.map((kind) => `#/$defs/${kind}`),
  );
  for (const kind of CONFIG_KIND_NAMES) assert.equal(schema.$defs[kind]?.["$schema"], undefined);
});

test("the output is deterministic", () => {
  assert.equal(JSON.stringify(configJsonSchema()), JSON.stringify(configJsonSchema()));
});
