import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../machinery/errors.ts";
import { type LabelSelector, matchesLabelSelector, parseLabelSelector } from "./label-selector.ts";

const parses: Array<[string, LabelSelector]> = [
  ["", []],
  ["app=etcd", [{ key: "app", operator: "equals", values: ["etcd"] }]],
  ["app == etcd", [{ key: "app", operator: "equals", values: ["etcd"] }]],
  ["app!=etcd", [{ key: "app", operator: "not-equals", values: ["etcd"] }]],
  ["tier=", [{ key: "tier", operator: "equals", values: [""] }]],
  ["stele.dev/role", [{ key: "stele.dev/role", operator: "exists", values: [] }]],
  ["!legacy", [{ key: "legacy", operator: "not-exists", values: [] }]],
  [
    "zone in (a, b),app notin (x)",
    [
      { key: "zone", operator: "in", values: ["a", "b"] },
      { key: "app", operator: "not-in", values: ["x"] },
    ],
  ],
];
for (const [text, selector] of parses) {
  test(`parses ${JSON.stringify(text)}`, () => {
    assert.deepEqual(parseLabelSelector(text), selector);
  });
}

const invalid = ["a=b,", ",a", "a b", "zone in (a,)", "zone in (a,b", "=x", "a=b=c", "!", "a!=(x)"];
for (const text of invalid) {
  test(`refuses ${JSON.stringify(text)} with a hint`, () => {
    assert.throws(
      () => parseLabelSelector(text),
      (error) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        error.message.includes(text) &&
        !!error.hint,
    );
  });
}

const matches: Array<[string, Record<string, string>, boolean]> = [
  ["app=etcd", { app: "etcd" }, true],
  ["app=etcd", { app: "kubelet" }, false],
  ["app=etcd", {}, false],
  ["app!=etcd", {}, true],
  ["app!=etcd", { app: "etcd" }, false],
  ["app notin (etcd)", {}, true],
  ["app in (etcd,kubelet)", { app: "kubelet" }, true],
  ["app", { app: "" }, true],
  ["!app", { app: "" }, false],
  ["app=etcd,tier=cp", { app: "etcd", tier: "worker" }, false],
  ["", { anything: "x" }, true],
];
for (const [text, labels, expected] of matches) {
  test(`${JSON.stringify(text)} ${expected ? "matches" : "does not match"} ${JSON.stringify(labels)}`, () => {
    assert.equal(matchesLabelSelector(parseLabelSelector(text), labels), expected);
  });
}

test("k=v selects exactly the labels whose k is v; k!=v exactly the others", () => {
  const token = fc.stringMatching(/^[a-z0-9]{1,4}$/);
  fc.assert(
    fc.property(fc.dictionary(token, token), token, token, (labels, key, value) => {
      const is = labels[key] === value && Object.hasOwn(labels, key);
      assert.equal(matchesLabelSelector(parseLabelSelector(`${key}=${value}`), labels), is);
      assert.equal(matchesLabelSelector(parseLabelSelector(`${key}!=${value}`), labels), !is);
    }),
  );
});
