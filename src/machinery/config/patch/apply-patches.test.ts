import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../errors.ts";
import { applyPatches } from "./apply-patches.ts";
import { parsePatch } from "./parse-patch.ts";
import type { ConfigDocumentValue } from "./patch.ts";

const V = "stele.dev/v1alpha1";

function config(): ConfigDocumentValue[] {
  return [
    {
      apiVersion: V,
      kind: "MachineConfig",
      type: "controlplane",
      install: { disk: "/dev/sda", extraKernelArgs: ["console=ttyS0"] },
      network: { hostname: "cp-1", interfaces: [{ name: "eth0", dhcp: true }] },
    },
    { apiVersion: V, kind: "ClusterConfig", clusterName: "prod", apiServer: { certSANs: ["10.0.0.1"] } },
    { apiVersion: V, kind: "TrustedRootsConfig", name: "company", certificates: ["PEM-A"] },
  ];
}

const patch = (text: string, source = "@p.yaml") => parsePatch(text, { source });

function apply(...texts: string[]): ConfigDocumentValue[] {
  return applyPatches(
    config(),
    texts.map((text, index) => patch(text, `@p${index + 1}.yaml`)),
  );
}

function byKind(documents: readonly ConfigDocumentValue[], kind: string, name?: string): ConfigDocumentValue {
  const found = documents.find((document) => document.kind === kind && document.name === name);
  assert.ok(found, `the result has no ${kind} ${name ?? ""}`);
  return found;
}

test("one strategic patch file patches MachineConfig and ClusterConfig together", () => {
  const result = apply(
    [
      `apiVersion: ${V}`,
      "kind: ClusterConfig",
      "apiServer:",
      "  certSANs: [k8s.example]",
      "---",
      `apiVersion: ${V}`,
      "kind: MachineConfig",
      "network:",
      "  interfaces:",
      "    - name: eth0",
      "      mtu: 9000",
    ].join("\n"),
  );
  assert.deepEqual(byKind(result, "ClusterConfig")["apiServer"], { certSANs: ["10.0.0.1", "k8s.example"] });
  assert.deepEqual((byKind(result, "MachineConfig")["network"] as { interfaces: unknown }).interfaces, [
    { name: "eth0", dhcp: true, mtu: 9000 },
  ]);
  assert.deepEqual(byKind(result, "TrustedRootsConfig", "company"), config()[2]);
});

test("the shorthand patches MachineConfig", () => {
  const result = apply("install:\n  disk: /dev/vda\n");
  assert.deepEqual(byKind(result, "MachineConfig")["install"], {
    disk: "/dev/vda",
    extraKernelArgs: ["console=ttyS0"],
  });
});

test("a patch document for an absent identity is added, identity first", () => {
  const result = apply(`certificates: [PEM-B]\nname: other\nkind: TrustedRootsConfig\napiVersion: ${V}\n`);
  assert.equal(result.length, 4);
  assert.deepEqual(result[3], {
    apiVersion: V,
    kind: "TrustedRootsConfig",
    name: "other",
    certificates: ["PEM-B"],
  });
  assert.deepEqual(Object.keys(result[3]!), ["apiVersion", "kind", "name", "certificates"]);
});

test("a named document merges into the document of that name only", () => {
  const result = apply(`apiVersion: ${V}\nkind: TrustedRootsConfig\nname: company\ncertificates: [PEM-C]\n`);
  assert.equal(result.length, 3);
  assert.deepEqual(byKind(result, "TrustedRootsConfig", "company")["certificates"], ["PEM-C"]);
});

test("a document-level $patch: delete removes the document", () => {
  const result = apply(`apiVersion: ${V}\nkind: TrustedRootsConfig\nname: company\n$patch: delete\n`);
  assert.deepEqual(
    result.map((document) => document.kind),
    ["MachineConfig", "ClusterConfig"],
  );
});

test("JSON patch operations go to MachineConfig or to their document", () => {
  const result = apply(
    JSON.stringify([
      { op: "replace", path: "/network/hostname", value: "cp-2" },
      { op: "add", path: "/apiServer/certSANs/-", value: "k8s.example", document: "ClusterConfig" },
      { op: "add", path: "/certificates/0", value: "PEM-0", document: "TrustedRootsConfig/company" },
      { op: "test", path: "/clusterName", value: "prod", document: "ClusterConfig" },
    ]),
  );
  assert.equal((byKind(result, "MachineConfig")["network"] as { hostname: string }).hostname, "cp-2");
  assert.deepEqual(byKind(result, "ClusterConfig")["apiServer"], { certSANs: ["10.0.0.1", "k8s.example"] });
  assert.deepEqual(byKind(result, "TrustedRootsConfig", "company")["certificates"], ["PEM-0", "PEM-A"]);
});

test("patches apply in order, each to the result of the one before", () => {
  const result = apply(
    `apiVersion: ${V}\nkind: TrustedRootsConfig\nname: other\ncertificates: [PEM-B]\n`,
    '[{"op": "add", "path": "/certificates/-", "value": "PEM-C", "document": "TrustedRootsConfig/other"}]',
    "network: { hostname: cp-9 }",
  );
  assert.deepEqual(byKind(result, "TrustedRootsConfig", "other")["certificates"], ["PEM-B", "PEM-C"]);
  assert.equal((byKind(result, "MachineConfig")["network"] as { hostname: string }).hostname, "cp-9");
});

test("a strategic patch applied twice gives what it gives once", () => {
  const text = [
    "certSANs: [a.example]",
    "install: { extraKernelArgs: [quiet] }",
    "network: { interfaces: [{ name: eth1, routes: [{ network: 0.0.0.0/0, gateway: 10.0.0.1 }] }] }",
    "---",
    `apiVersion: ${V}`,
    "kind: ClusterConfig",
    "apiServer: { certSANs: [k8s.example] }",
    "inlineManifests: [{ name: cni, contents: x }]",
  ].join("\n");
  const once = applyPatches(config(), [patch(text)]);
  assert.deepEqual(applyPatches(once, [patch(text)]), once);
});

test("a delete applied a second time fails instead of passing silently", () => {
  const text = "install: { disk: { $patch: delete } }";
  const once = applyPatches(config(), [patch(text)]);
  assert.throws(() => applyPatches(once, [patch(text)]), /at install\.disk: patch targets a missing path/);
});

test("a failing patch changes nothing, even after earlier patches succeeded", () => {
  const documents = config();
  const before = structuredClone(documents);
  assert.throws(() =>
    applyPatches(documents, [
      patch("network: { hostname: changed }", "@ok.yaml"),
      patch('[{"op": "add", "path": "/x", "value": 1}, {"op": "remove", "path": "/nope"}]', "@bad.yaml"),
    ]),
  );
  assert.deepEqual(documents, before);
});

test("the result shares nothing with the input documents", () => {
  const documents = config();
  const result = applyPatches(documents, [patch("network: { hostname: cp-2 }")]);
  (result[1]!["apiServer"] as { certSANs: string[] }).certSANs.push("mutated");
  assert.deepEqual(documents[1]!["apiServer"], { certSANs: ["10.0.0.1"] });
});

type ErrorCase = [name: string, text: string, message: string];

const failures: ErrorCase[] = [
  [
    "a JSON patch op aimed at a kind the config lacks",
    '[{"op": "add", "path": "/keys", "value": [], "document": "TrustedKeysConfig"}]',
    "Patch @p1.yaml:1:2 op 1 (add /keys) on TrustedKeysConfig: the config has no TrustedKeysConfig document",
  ],
  [
    "a JSON patch op aimed at a name the config lacks",
    '[{"op": "remove", "path": "/certificates/0", "document": "TrustedRootsConfig/other"}]',
    "Patch @p1.yaml:1:2 op 1 (remove /certificates/0) on TrustedRootsConfig/other: the config has no TrustedRootsConfig/other document",
  ],
  [
    "a JSON patch replace of a missing path, with its position",
    "- op: test\n  path: /type\n  value: controlplane\n- op: replace\n  path: /network/hostnme\n  value: x\n",
    "Patch @p1.yaml:4:3 op 2 (replace /network/hostnme) on MachineConfig: path does not exist",
  ],
  [
    "a JSON patch test that fails",
    '[{"op": "test", "path": "/type", "value": "worker"}]',
    'Patch @p1.yaml:1:2 op 1 (test /type) on MachineConfig: test failed: /type is "controlplane", expected "worker"',
  ],
  [
    "a strategic delete of a missing key, with its position",
    "network:\n  hostname: x\ninstall:\n  wipe: { $patch: delete }\n",
    "Patch @p1.yaml:4:3 on MachineConfig at install.wipe: patch targets a missing path",
  ],
  [
    "a strategic null",
    `apiVersion: ${V}\nkind: ClusterConfig\nclusterName: null\n`,
    "Patch @p1.yaml:3:1 on ClusterConfig at clusterName: null is not a patch value: use `$patch: delete` to remove a key",
  ],
  [
    "a delete of an absent document",
    `apiVersion: ${V}\nkind: TrustedRootsConfig\nname: other\n$patch: delete\n`,
    "Patch @p1.yaml:1:1 on TrustedRootsConfig/other: patch deletes a document that is not in the config",
  ],
  [
    "a document delete that also sets fields",
    `apiVersion: ${V}\nkind: ClusterConfig\n$patch: delete\nclusterName: x\n`,
    "Patch @p1.yaml:1:1 on ClusterConfig: a document-level `$patch: delete` removes the whole document, yet the patch also sets clusterName",
  ],
  [
    "a patch for another apiVersion",
    "apiVersion: stele.dev/v2\nkind: ClusterConfig\nclusterName: x\n",
    "Patch @p1.yaml:1:1 on ClusterConfig: the patch is for apiVersion stele.dev/v2, the document is stele.dev/v1alpha1",
  ],
  [
    "a JSON patch that removes a document's kind",
    '[{"op": "remove", "path": "/kind", "document": "ClusterConfig"}]',
    "Patch @p1.yaml: document 2 (",
  ],
  [
    "a JSON patch that gives two documents one identity",
    '[{"op": "add", "path": "/name", "value": "company", "document": "TrustedRootsConfig/company"}, {"op": "replace", "path": "/kind", "value": "ClusterConfig", "document": "TrustedRootsConfig/company"}, {"op": "remove", "path": "/name", "document": "ClusterConfig/company"}]',
    "Patch @p1.yaml: there are two ClusterConfig documents",
  ],
];

for (const [name, text, message] of failures) {
  test(`applying patches fails on ${name}`, () => {
    assert.throws(
      () => apply(text),
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

test("the shorthand cannot add a MachineConfig to a config without one", () => {
  assert.throws(() => applyPatches(config().slice(1), [patch("network: { hostname: x }")]), {
    message: "Patch @p.yaml:1:1 on MachineConfig: the config has no MachineConfig document to patch",
  });
});

test("a config with two documents of one identity is refused before any patch", () => {
  const documents = [...config(), config()[1]!];
  assert.throws(() => applyPatches(documents, []), {
    message: "Config cannot be patched: there are two ClusterConfig documents",
  });
});
