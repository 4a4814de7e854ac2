import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../errors.ts";
import { applyJsonPatch } from "./apply-json-patch.ts";
import type { JsonPatchOperation } from "./json-patch-operation.ts";
import { parsePatch } from "./parse-patch.ts";

// RFC 6902 Appendix A, example by example. `expected` is the result, or an error the RFC calls for.
type RfcCase = [section: string, doc: unknown, patch: unknown[], expected: unknown | { error: RegExp }];

const appendixA: RfcCase[] = [
  [
    "A.1 Adding an Object Member",
    { foo: "bar" },
    [{ op: "add", path: "/baz", value: "qux" }],
    { baz: "qux", foo: "bar" },
  ],
  [
    "A.2 Adding an Array Element",
    { foo: ["bar", "baz"] },
    [{ op: "add", path: "/foo/1", value: "qux" }],
    { foo: ["bar", "qux", "baz"] },
  ],
  [
    "A.3 Removing an Object Member",
    { baz: "qux", foo: "bar" },
    [{ op: "remove", path: "/baz" }],
    { foo: "bar" },
  ],
  [
    "A.4 Removing an Array Element",
    { foo: ["bar", "qux", "baz"] },
    [{ op: "remove", path: "/foo/1" }],
    { foo: ["bar", "baz"] },
  ],
  [
    "A.5 Replacing a Value",
    { baz: "qux", foo: "bar" },
    [{ op: "replace", path: "/baz", value: "boo" }],
    { baz: "boo", foo: "bar" },
  ],
  [
    "A.6 Moving a Value",
    { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
    [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
    { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
  ],
  [
    "A.7 Moving an Array Element",
    { foo: ["all", "grass", "cows", "eat"] },
    [{ op: "move", from: "/foo/1", path: "/foo/3" }],
    { foo: ["all", "cows", "eat", "grass"] },
  ],
  [
    "A.8 Testing a Value: Success",
    { baz: "qux", foo: ["a", 2, "c"] },
    [
      { op: "test", path: "/baz", value: "qux" },
      { op: "test", path: "/foo/1", value: 2 },
    ],
    { baz: "qux", foo: ["a", 2, "c"] },
  ],
  [
    "A.9 Testing a Value: Error",
    { baz: "qux" },
    [{ op: "test", path: "/baz", value: "bar" }],
    { error: /test failed/ },
  ],
  [
    "A.10 Adding a Nested Member Object",
    { foo: "bar" },
    [{ op: "add", path: "/child", value: { grandchild: {} } }],
    { foo: "bar", child: { grandchild: {} } },
  ],
  [
    "A.11 Ignoring Unrecognized Elements",
    { foo: "bar" },
    [{ op: "add", path: "/baz", value: "qux", xyz: 123 }],
    { foo: "bar", baz: "qux" },
  ],
  [
    "A.12 Adding to a Nonexistent Target",
    { foo: "bar" },
    [{ op: "add", path: "/baz/bat", value: "qux" }],
    { error: /path does not exist/ },
  ],
  [
    "A.14 ~ Escape Ordering",
    { "/": 9, "~1": 10 },
    [{ op: "test", path: "/~01", value: 10 }],
    { "/": 9, "~1": 10 },
  ],
  [
    "A.15 Comparing Strings and Numbers",
    { "/": 9, "~1": 10 },
    [{ op: "test", path: "/~01", value: "10" }],
    { error: /test failed: \/~01 is 10, expected "10"/ },
  ],
  [
    "A.16 Adding an Array Value",
    { foo: ["bar"] },
    [{ op: "add", path: "/foo/-", value: ["abc", "def"] }],
    { foo: ["bar", ["abc", "def"]] },
  ],
];

const isErrorCase = (expected: unknown): expected is { error: RegExp } =>
  typeof expected === "object" &&
  expected !== null &&
  (expected as { error?: unknown }).error instanceof RegExp;

for (const [section, doc, patch, expected] of appendixA) {
  test(`RFC 6902 ${section}`, () => {
    const operations = patch as JsonPatchOperation[];
    if (isErrorCase(expected)) {
      assert.throws(
        () => applyJsonPatch(doc, operations),
        (error: unknown) => {
          assert.ok(isSteleError(error));
          assert.equal(error.code, "invalid-config");
          assert.match(error.message, expected.error);
          return true;
        },
      );
    } else {
      assert.deepEqual(applyJsonPatch(doc, operations), expected);
    }
  });
}

test("RFC 6902 A.13 Invalid JSON Patch Document: a repeated member is refused when the patch is read", () => {
  const text = '[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]';
  assert.throws(() => parsePatch(text, { source: "@a13.json" }), {
    name: "SteleError",
    message: /^Patch @a13\.json:1:49: invalid YAML: Map keys must be unique/,
  });
});

const machine = {
  network: { hostname: "n1", interfaces: [{ name: "eth0" }, { name: "eth1" }] },
  "a/b": { "m~n": 1 },
};

type ErrorCase = [name: string, operations: unknown[], message: string];

const failures: ErrorCase[] = [
  [
    "replace of a missing path (the message users see)",
    [
      { op: "test", path: "/network/hostname", value: "n1" },
      { op: "replace", path: "/network/hostnme", value: "n2" },
    ],
    "Patch @p.yaml op 2 (replace /network/hostnme) on MachineConfig: path does not exist",
  ],
  [
    "remove of a missing path",
    [{ op: "remove", path: "/install" }],
    "Patch @p.yaml op 1 (remove /install) on MachineConfig: path does not exist",
  ],
  [
    "remove of the whole document",
    [{ op: "remove", path: "" }],
    'Patch @p.yaml op 1 (remove "") on MachineConfig: cannot remove the whole document',
  ],
  [
    "add under a missing parent",
    [{ op: "add", path: "/install/disk", value: "/dev/vda" }],
    "Patch @p.yaml op 1 (add /install/disk) on MachineConfig: path does not exist",
  ],
  [
    "add under a scalar",
    [{ op: "add", path: "/network/hostname/x", value: 1 }],
    "Patch @p.yaml op 1 (add /network/hostname/x) on MachineConfig: path does not exist: its parent is not a map or list",
  ],
  [
    "array index past the end",
    [{ op: "replace", path: "/network/interfaces/2", value: {} }],
    "Patch @p.yaml op 1 (replace /network/interfaces/2) on MachineConfig: path does not exist: index 2 is out of range for a list of 2 elements",
  ],
  [
    "array index with a leading zero",
    [{ op: "remove", path: "/network/interfaces/01" }],
    'Patch @p.yaml op 1 (remove /network/interfaces/01) on MachineConfig: path does not exist: "01" is not an index into a list',
  ],
  [
    "- outside add",
    [{ op: "replace", path: "/network/interfaces/-", value: {} }],
    "Patch @p.yaml op 1 (replace /network/interfaces/-) on MachineConfig: path does not exist: - (past the end of the list) only works with add",
  ],
  [
    "pointer without a leading slash",
    [{ op: "add", path: "network/hostname", value: "x" }],
    'Patch @p.yaml op 1 (add network/hostname) on MachineConfig: bad pointer "network/hostname": it must be empty or start with /',
  ],
  [
    "pointer with a bad escape",
    [{ op: "remove", path: "/a~2b" }],
    'Patch @p.yaml op 1 (remove /a~2b) on MachineConfig: bad pointer "/a~2b": ~ must be followed by 0 or 1 in "a~2b"',
  ],
  [
    "unknown op",
    [{ op: "merge", path: "/network" }],
    'Patch @p.yaml op 1 (merge /network) on MachineConfig: unknown op "merge"',
  ],
  [
    "an operation that is not a map",
    ["add"],
    "Patch @p.yaml op 1 on MachineConfig: an operation must be a map with op and path",
  ],
  [
    "add without a value",
    [{ op: "add", path: "/x" }],
    "Patch @p.yaml op 1 (add /x) on MachineConfig: add needs a value",
  ],
  [
    "move without from",
    [{ op: "move", path: "/x" }],
    "Patch @p.yaml op 1 (move /x) on MachineConfig: the operation has no from",
  ],
  [
    "move from a missing path",
    [{ op: "move", from: "/nope", path: "/x" }],
    "Patch @p.yaml op 1 (move /x) on MachineConfig: from does not exist",
  ],
  [
    "move into its own child",
    [{ op: "move", from: "/network", path: "/network/inner" }],
    "Patch @p.yaml op 1 (move /network/inner) on MachineConfig: cannot move a value into one of its own children",
  ],
  [
    "test failing",
    [{ op: "test", path: "/network/hostname", value: "n2" }],
    'Patch @p.yaml op 1 (test /network/hostname) on MachineConfig: test failed: /network/hostname is "n1", expected "n2"',
  ],
];

for (const [name, operations, message] of failures) {
  test(`JSON patch error: ${name}`, () => {
    assert.throws(
      () =>
        applyJsonPatch(machine, operations as JsonPatchOperation[], {
          source: "@p.yaml",
          document: "MachineConfig",
        }),
      (error: unknown) => {
        assert.ok(isSteleError(error));
        assert.equal(error.code, "invalid-config");
        assert.equal(error.message, message);
        assert.ok(error.hint && error.hint.length > 0, "every error carries a hint");
        return true;
      },
    );
  });
}

test("pointers unescape ~1 and ~0 to reach keys holding / and ~", () => {
  assert.deepEqual(applyJsonPatch(machine, [{ op: "replace", path: "/a~1b/m~0n", value: 2 }]), {
    ...machine,
    "a/b": { "m~n": 2 },
  });
});

test("the input document is never mutated, even when an operation fails half-way", () => {
  const before = structuredClone(machine);
  applyJsonPatch(machine, [{ op: "add", path: "/network/interfaces/-", value: { name: "eth2" } }]);
  assert.throws(() =>
    applyJsonPatch(machine, [
      { op: "remove", path: "/network/interfaces/0" },
      { op: "remove", path: "/install" },
    ]),
  );
  assert.deepEqual(machine, before);
});

test("copy inserts an independent copy, and add copies its value", () => {
  const value = { name: "eth9" };
  const result = applyJsonPatch({ a: { x: [1] } }, [
    { op: "copy", from: "/a", path: "/b" },
    { op: "add", path: "/c", value },
  ]) as { a: { x: number[] }; b: { x: number[] }; c: { name: string } };
  result.b.x.push(2);
  result.c.name = "changed";
  assert.deepEqual(result.a, { x: [1] });
  assert.equal(value.name, "eth9");
});

test("replace keeps the key where it was; replace and add of the root replace the document", () => {
  const result = applyJsonPatch({ a: 1, b: 2, c: 3 }, [{ op: "replace", path: "/b", value: 9 }]);
  assert.deepEqual(Object.keys(result as object), ["a", "b", "c"]);
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }]), { b: 2 });
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "add", path: "", value: [] }]), []);
});

test("move to the same path leaves the document as it is", () => {
  assert.deepEqual(applyJsonPatch({ a: [1, 2] }, [{ op: "move", from: "/a/0", path: "/a/0" }]), {
    a: [1, 2],
  });
});

test("a numeric key of a map is a key, not an index", () => {
  assert.deepEqual(applyJsonPatch({ m: { "0": "a" } }, [{ op: "replace", path: "/m/0", value: "b" }]), {
    m: { "0": "b" },
  });
});
