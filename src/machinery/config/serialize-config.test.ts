import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import { parseConfig } from "./parse-config.ts";
import type { ConfigDocument } from "./schema/config-kinds.ts";
import type { MachineConfig } from "./schema/machine-config.ts";
import { serializeConfig } from "./serialize-config.ts";
import { controlPlaneYaml, loadTestPki, workerYaml } from "./testdata/config-fixtures.ts";
import { SAMPLE_CONFIG } from "./testdata/sample-config.ts";

const parse = (text: string) => parseConfig(text, { file: "x.yaml" }).documents;

let fixtures: Array<[string, string]>;
before(async () => {
  const pki = await loadTestPki();
  fixtures = [
    ["control plane", controlPlaneYaml(pki)],
    ["worker", workerYaml(pki)],
    ["sample", SAMPLE_CONFIG],
  ];
});

describe("serializeConfig round-trips", () => {
  for (const defaults of ["omit", "keep"] as const) {
    test(`parse(serialize(x)) equals x for every fixture (defaults: ${defaults})`, () => {
      for (const [name, text] of fixtures) {
        const documents = parse(text);
        const again = parse(serializeConfig(documents, { defaults }));
        assert.deepEqual(again, documents, name);
      }
    });
  }

  test("serializing twice gives the same bytes", () => {
    for (const [name, text] of fixtures) {
      const once = serializeConfig(parse(text));
      assert.equal(serializeConfig(parse(once)), once, name);
    }
  });

  test("any text in string fields survives the round trip", () => {
    const base = parse(SAMPLE_CONFIG);
    const text = fc.string({ unit: "grapheme", maxLength: 80 });
    fc.assert(
      fc.property(text, text, text, (content, value, manifest) => {
        const documents = structuredClone(base) as ConfigDocument[];
        const machine = documents[0] as MachineConfig;
        machine.files[0]!.content = content;
        machine.sysctls["net.core.somaxconn"] = value;
        machine.kubelet.extraConfig = { note: value, nested: { list: [content, 1, true, null] } };
        const cluster = documents[1];
        if (cluster?.kind === "ClusterConfig") cluster.inlineManifests[0]!.contents = manifest;
        assert.deepEqual(parse(serializeConfig(documents)), documents);
      }),
      { numRuns: 300 },
    );
  });
});

describe("serializeConfig writes canonical YAML", () => {
  test("header first, fields in schema order, maps sorted, defaults left out", () => {
    const text = serializeConfig(
      parse(`kind: MachineConfig
debug: false
sysctls:
  vm.swappiness: "10"
  net.ipv4.ip_forward: "1"
ca:
  crt: x
token: abcdef.0123456789abcdef
type: worker
apiVersion: stele.dev/v1alpha1
`),
    );
    assert.equal(
      text,
      `apiVersion: stele.dev/v1alpha1
kind: MachineConfig
type: worker
token: abcdef.0123456789abcdef
ca:
  crt: x
sysctls:
  net.ipv4.ip_forward: "1"
  vm.swappiness: "10"
`,
    );
  });

  test("PEM text is a literal block, permissions are octal, documents are separated by ---", () => {
    const text = serializeConfig(parse(SAMPLE_CONFIG));
    assert.match(
      text,
      /\n {2}crt: \|\n {4}-----BEGIN CERTIFICATE-----\n {4}placeholder\n {4}-----END CERTIFICATE-----\n/,
    );
    assert.match(text, /\n {4}permissions: 0o600\n/);
    assert.equal(text.split(/^---$/m).length, 5);
    assert.match(text, /^apiVersion: stele\.dev\/v1alpha1\nkind: TrustedRootsConfig\nname: corp\n/m);
  });

  test("defaults are written when asked", () => {
    const text = serializeConfig(parse(SAMPLE_CONFIG), { defaults: "keep" });
    assert.match(text, /\ndebug: false\n/);
    assert.match(text, /\n {2}apidCheckExtKeyUsage: true\n/);
  });
});
