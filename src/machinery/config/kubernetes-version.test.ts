import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../errors.ts";
import { resolveKubernetesVersion } from "./kubernetes-version.ts";

const accepted: Array<[string, string]> = [
  ["1.37", "1.37.1"],
  ["1.36", "1.36.4"],
  ["1.35", "1.35.9"],
  ["1.37.1", "1.37.1"],
  ["v1.37.1", "1.37.1"],
  ["1.36.12", "1.36.12"],
  ["v1.35", "1.35.9"],
];

for (const [input, full] of accepted) {
  test(`Kubernetes ${input} resolves to ${full}`, () => assert.equal(resolveKubernetesVersion(input), full));
}

const unsupported = ["1.30", "1.34.2", "v1.38.0", "2.0"];
for (const input of unsupported) {
  test(`Kubernetes ${input} is refused with the supported minors listed`, () => {
    const minor = input.replace(/^v/, "").split(".").slice(0, 2).join(".");
    assert.throws(
      () => resolveKubernetesVersion(input),
      (e) =>
        isSteleError(e) &&
        e.code === "invalid-argument" &&
        e.message ===
          `Kubernetes ${minor} is not supported by Stele 0.1.0: supported versions are 1.37, 1.36, 1.35` &&
        typeof e.hint === "string",
    );
  });
}

const malformed = ["", "latest", "1", "1.37.1.2", "1.037", "1.37-rc.1", "V1.37", " 1.37x"];
for (const input of malformed) {
  test(`${JSON.stringify(input)} is not a version`, () => {
    assert.throws(
      () => resolveKubernetesVersion(input),
      (e) =>
        isSteleError(e) &&
        e.code === "invalid-argument" &&
        /is not valid: expected MAJOR\.MINOR/.test(e.message),
    );
  });
}
