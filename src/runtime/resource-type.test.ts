import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../machinery/errors.ts";
import { printColumnValues } from "./print-column-values.ts";
import type { Resource } from "./resource.ts";
import { defineResourceType, type ResourceTypeDefinition } from "./resource-type.ts";

test("a definition gets its defaults and is frozen", () => {
  const type = defineResourceType({ type: "Hostnames.net.stele.dev", defaultNamespace: "network" });
  assert.deepEqual(
    { ...type },
    {
      type: "Hostnames.net.stele.dev",
      aliases: [],
      defaultNamespace: "network",
      sensitive: false,
      printColumns: [],
      schema: undefined,
    },
  );
  assert.ok(Object.isFrozen(type));
});

const invalid: Array<[string, ResourceTypeDefinition<unknown>, RegExp]> = [
  [
    "a lower-case type",
    { type: "hostnames.net.stele.dev", defaultNamespace: "network" },
    /resource type name/,
  ],
  ["a type without a group", { type: "Hostnames", defaultNamespace: "network" }, /resource type name/],
  [
    "a capitalised namespace",
    { type: "Hostnames.net.stele.dev", defaultNamespace: "Network" },
    /namespace or alias/,
  ],
  [
    "an alias with a dot",
    { type: "Hostnames.net.stele.dev", defaultNamespace: "n", aliases: ["h.n"] },
    /alias/,
  ],
  [
    "a column path outside spec and metadata",
    {
      type: "Hostnames.net.stele.dev",
      defaultNamespace: "n",
      printColumns: [{ name: "X", path: "status.x" }],
    },
    /print column "X"/,
  ],
];
for (const [what, definition, message] of invalid) {
  test(`${what} is refused`, () => {
    assert.throws(
      () => defineResourceType(definition),
      (error) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        message.test(error.message) &&
        !!error.hint,
    );
  });
}

test("print columns read dotted paths of a resource; missing values are empty cells", () => {
  const type = defineResourceType<{ hostname: string; addresses?: string[] }>({
    type: "Hostnames.net.stele.dev",
    defaultNamespace: "network",
    printColumns: [
      { name: "HOSTNAME", path: "spec.hostname" },
      { name: "ADDRESSES", path: "spec.addresses" },
      { name: "MISSING", path: "spec.nothing.here" },
      { name: "VERSION", path: "metadata.version" },
      { name: "CREATED", path: "metadata.created" },
    ],
  });
  const resource = {
    metadata: { version: 3, created: new Date("2025-01-01T00:00:00Z") },
    spec: { hostname: "node-1", addresses: ["10.0.0.1"] },
  } as unknown as Resource<{ hostname: string }>;
  assert.deepEqual(printColumnValues(type, resource), [
    "node-1",
    '["10.0.0.1"]',
    "",
    "3",
    "2025-01-01T00:00:00.000Z",
  ]);
});
