import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../errors.ts";
import { parsePatch } from "./parse-patch.ts";

const MACHINE = { kind: "MachineConfig" };

test("a YAML list is a JSON patch aimed at MachineConfig unless an operation names a document", () => {
  const patch = parsePatch(
    [
      "- op: replace",
      "  path: /network/hostname",
      "  value: n1",
      "- op: add",
      "  path: /apiServer/certSANs/-",
      "  value: k8s.example",
      "  document: ClusterConfig",
    ].join("\n"),
    { source: "@p.yaml" },
  );
  assert.equal(patch.form, "json");
  assert.equal(patch.source, "@p.yaml");
  assert.deepEqual(patch.form === "json" && patch.operations, [
    { op: "replace", path: "/network/hostname", value: "n1" },
    { op: "add", path: "/apiServer/certSANs/-", value: "k8s.example", document: "ClusterConfig" },
  ]);
});

test("a JSON array is a JSON patch too", () => {
  const patch = parsePatch('[{"op": "remove", "path": "/install"}]', { source: "--config-patch" });
  assert.deepEqual(patch.form === "json" && patch.operations, [{ op: "remove", path: "/install" }]);
});

test("an empty list is a JSON patch that changes nothing", () => {
  const patch = parsePatch("[]", { source: "@p.yaml" });
  assert.deepEqual(patch.form === "json" && patch.operations, []);
});

test("documents with apiVersion and kind are strategic patches aimed at their kind and name", () => {
  const patch = parsePatch(
    [
      "apiVersion: stele.dev/v1alpha1",
      "kind: MachineConfig",
      "network: { hostname: n1 }",
      "---",
      "apiVersion: stele.dev/v1alpha1",
      "kind: TrustedRootsConfig",
      "name: company",
      "certificates: [pem]",
    ].join("\n"),
    { source: "@p.yaml" },
  );
  assert.equal(patch.form, "strategic");
  assert.deepEqual(patch.form === "strategic" && patch.documents, [
    { target: MACHINE, apiVersion: "stele.dev/v1alpha1", body: { network: { hostname: "n1" } } },
    {
      target: { kind: "TrustedRootsConfig", name: "company" },
      apiVersion: "stele.dev/v1alpha1",
      body: { certificates: ["pem"] },
    },
  ]);
});

test("a document without apiVersion and kind is shorthand for MachineConfig", () => {
  const patch = parsePatch("install:\n  disk: /dev/vda\n", { source: "@p.yaml" });
  assert.deepEqual(patch.form === "strategic" && patch.documents, [
    { target: MACHINE, apiVersion: undefined, body: { install: { disk: "/dev/vda" } } },
  ]);
});

test("empty documents (a leading ---, comments) are skipped", () => {
  const patch = parsePatch("# a comment\n---\n---\nnetwork: { hostname: n1 }\n---\n", { source: "@p.yaml" });
  assert.equal(patch.form === "strategic" && patch.documents.length, 1);
});

test("the locator turns a path in the patch into line:column", () => {
  const patch = parsePatch("# header\nnetwork:\n  interfaces:\n    - name: eth0\n      mtu: 9000\n", {
    source: "@p.yaml",
  });
  assert.equal(patch.locate?.(0, []), "2:1");
  assert.equal(patch.locate?.(0, ["network", "interfaces", 0, "mtu"]), "5:7");
  assert.equal(patch.locate?.(0, ["network", "missing", "deeper"]), "2:1");
});

type ErrorCase = [name: string, text: string, message: string];

const failures: ErrorCase[] = [
  ["bad YAML", "network:\n  hostname: [n1\n", "Patch @p.yaml:3:1: invalid YAML: "],
  ["a repeated key", "a: 1\na: 2\n", "Patch @p.yaml:2:1: invalid YAML: Map keys must be unique"],
  ["an empty patch", "# nothing\n", "Patch @p.yaml: the patch is empty"],
  [
    "a JSON patch beside other documents",
    "network: {}\n---\n- op: remove\n  path: /a\n",
    "Patch @p.yaml:3:1: a JSON patch must be the only document of its patch, this one has 2",
  ],
  ["a scalar document", "just text\n", 'Patch @p.yaml:1:1 on document 1: expected a map, got "just text"'],
  [
    "kind without apiVersion",
    "network: {}\n---\nkind: ClusterConfig\n",
    "Patch @p.yaml:3:1 on document 2: a patch document with a kind needs an apiVersion",
  ],
  [
    "apiVersion without kind",
    "apiVersion: stele.dev/v1alpha1\nnetwork: {}\n",
    "Patch @p.yaml:1:1 on document 1: a patch document with an apiVersion needs a kind",
  ],
  [
    "a kind that is not a string",
    "apiVersion: stele.dev/v1alpha1\nkind: [a]\n",
    'Patch @p.yaml:2:1 on document 1: invalid kind ["a"]',
  ],
  [
    "an empty name",
    "apiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: ''\n",
    'Patch @p.yaml:3:1 on document 1: invalid name "": a name is a non-empty string',
  ],
  [
    "a name in the shorthand",
    "name: worker\nnetwork: {}\n",
    "Patch @p.yaml:1:1 on document 1: a patch document with a name needs an apiVersion and a kind",
  ],
  [
    "an unknown op",
    "- op: replace\n  path: /a\n  value: 1\n- op: patch\n  path: /b\n",
    'Patch @p.yaml:4:3 op 2 (patch /b): unknown op "patch"',
  ],
  [
    "a bad pointer",
    '[{"op": "remove", "path": "a"}]',
    'Patch @p.yaml:1:2 op 1 (remove a): bad pointer "a": it must be empty or start with /',
  ],
  [
    "a bad document member",
    "- op: remove\n  path: /a\n  document: 'bad kind'\n",
    'Patch @p.yaml:1:3 op 1 (remove /a): document must be a kind or kind/name, got "bad kind"',
  ],
  [
    "an alias bomb",
    [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    ].join("\n"),
    "Patch @p.yaml: invalid YAML: Excessive alias count",
  ],
];

for (const [name, text, message] of failures) {
  test(`reading a patch fails on ${name}`, () => {
    assert.throws(
      () => parsePatch(text, { source: "@p.yaml" }),
      (error: unknown) => {
        assert.ok(isSteleError(error));
        assert.equal(error.code, "invalid-config");
        assert.ok(error.message.startsWith(message), `${error.message}\n  does not start with\n${message}`);
        assert.ok(error.hint && error.hint.length > 0, "every error carries a hint");
        return true;
      },
    );
  });
}
