import assert from "node:assert/strict";
import { test } from "node:test";
import { mapConfigSource } from "./config-source-map.ts";

const text = `apiVersion: stele.dev/v1alpha1
kind: MachineConfig
network:
  interfaces:
    - &eth name: eth0
      mtu: 1500
---
apiVersion: stele.dev/v1alpha1
kind: TrustedRootsConfig
name: corp
certificates: x
`;

const at = (p: { line: number; column: number }) => `${p.line}:${p.column}`;

test("documents are found by reference or by position", () => {
  const map = mapConfigSource(text);
  assert.equal(map.documentCount, 2);
  assert.equal(map.refAt(1), "MachineConfig");
  assert.equal(map.refAt(2), "TrustedRootsConfig/corp");
  assert.equal(at(map.locate("TrustedRootsConfig/corp", ["certificates"])), "11:15");
  assert.equal(at(map.locate(1, ["network", "interfaces", 0, "mtu"])), "6:12");
});

test("the source text of a scalar is what the user wrote", () => {
  const map = mapConfigSource("kubernetesVersion: 1.30\nquoted: '1.30'\n");
  assert.equal(map.sourceText(1, ["kubernetesVersion"]), "1.30");
  assert.equal(map.sourceText(1, ["quoted"]), "'1.30'");
  assert.equal(map.sourceText(1, ["missing"]), undefined);
});

test("paths that do not exist map to their nearest ancestor, unknown documents to the file start", () => {
  const map = mapConfigSource(text);
  const missing = map.locate("MachineConfig", ["network", "interfaces", 3, "name"]);
  assert.equal(at(missing), "5:5");
  assert.equal(missing.exact, false);
  assert.equal(at(map.locate("ClusterConfig", ["x"])), "1:1");
});

test("a text that is not YAML still maps, without throwing", () => {
  const map = mapConfigSource("a: [\n  b: {\n");
  assert.equal(map.locate(1, ["a", 0]).line >= 1, true);
  assert.equal(mapConfigSource("").documentCount, 0);
});

test("a path through an alias points at the anchored value the user can edit", () => {
  const map = mapConfigSource("defaults: &d\n  mtu: 1500\niface: *d\n");
  assert.equal(at(map.locate(1, ["iface", "mtu"])), "2:8");
});
