import assert from "node:assert/strict";
import { test } from "node:test";
import { DEVELOPMENT_SIGNING_KEY_NAME, isDevelopmentKeyName } from "./extension-rules.ts";

const cases: Array<[string, boolean]> = [
  [DEVELOPMENT_SIGNING_KEY_NAME, true],
  ["Stele-Development", true],
  ["dev", true],
  ["team-dev-key", true],
  ["test_signing", true],
  ["insecure.example", true],
  ["release", false],
  ["devops-signing", false],
  ["latest", false],
  ["contest-2025", false],
];

for (const [name, development] of cases) {
  test(`a signing key named ${JSON.stringify(name)} is ${development ? "" : "not "}a development key`, () => {
    assert.equal(isDevelopmentKeyName(name), development);
  });
}
