import assert from "node:assert/strict";
import { test } from "node:test";
import { REFERENCE_EXAMPLE, renderConfigReference } from "./config-reference.ts";
import { parseConfig } from "./parse-config.ts";
import { CONFIG_KIND_NAMES } from "./schema/config-kinds.ts";
import { VALIDATION_RULES } from "./validate-config.ts";

const page = renderConfigReference();

test("the reference has a section for every kind and lists every rule", () => {
  for (const kind of CONFIG_KIND_NAMES) assert.match(page, new RegExp(`^## ${kind}$`, "m"));
  for (const rule of VALIDATION_RULES) assert.ok(page.includes(`- **${rule.id}**: `), rule.id);
});

test("nested fields are listed with type, default and description", () => {
  assert.match(
    page,
    /^\| `install\.disk` \| string \| — \| Disk to install Stele on\. .*\| `"\/dev\/sda"` \|$/m,
  );
  assert.match(page, /^\| `network\.interfaces\[\]\.mtu` \| integer, 576 to 9216 \| — \| /m);
  assert.match(page, /^\| `files\[\]\.op` \| one of `create`, `append`, `overwrite` \| `"create"` \| /m);
  assert.match(page, /^\| `registries\.mirrors\.<key>\.endpoints` \| list of strings \| required \| /m);
  assert.match(page, /^\| `type` \| one of `controlplane`, `worker` \| required \| /m);
});

test("the example in the reference is a valid config", () => {
  assert.equal(parseConfig(REFERENCE_EXAMPLE, { file: "example.yaml" }).documents.length, 2);
});

test("rendering is deterministic", () => {
  assert.equal(renderConfigReference(), page);
});
