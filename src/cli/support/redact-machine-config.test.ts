import assert from "node:assert/strict";
import { before, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { isConfigError } from "../../machinery/config/index.ts";
import {
  controlPlaneYaml,
  loadTestPki,
  type TestPki,
} from "../../machinery/config/testdata/config-fixtures.ts";
import { REDACTED, redactMachineConfig } from "./redact-machine-config.ts";

let pki: TestPki;
let config: string;
before(async () => {
  pki = await loadTestPki();
  config = controlPlaneYaml(pki);
});

const documents = (text: string): unknown[] => parseAllDocuments(text).map((document) => document.toJS());

/** The value at a path of keys in a parsed document; undefined where the path does not lead. */
function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

test("every secret field of a control plane config is redacted", () => {
  const [machine, cluster] = documents(redactMachineConfig(config));
  const secrets: Array<[unknown, string]> = [
    [machine, "token"],
    [machine, "ca.key"],
    [cluster, "secret"],
    [cluster, "bootstrapToken"],
    [cluster, "secretboxEncryptionSecret"],
    [cluster, "serviceAccount.key"],
    [cluster, "ca.key"],
    [cluster, "aggregatorCA.key"],
    [cluster, "etcd.ca.key"],
  ];
  for (const [document, path] of secrets) assert.equal(at(document, ...path.split(".")), REDACTED, path);
});

test("what is not secret is kept: certificates, cluster id, network", () => {
  const [machine, cluster] = documents(redactMachineConfig(config));
  assert.equal(at(machine, "ca", "crt"), pki.osCA.crt);
  assert.equal(at(machine, "network", "hostname"), "cp-1");
  assert.equal(typeof at(cluster, "id"), "string");
  assert.notEqual(at(cluster, "id"), REDACTED);
});

test("a private key or join token anywhere else is redacted too", () => {
  const withSecretFile = config.replace(
    "      [app]\n      port = 8080\n",
    `      token = "abcdef.0123456789abcdef"\n${pki.osCA.key
      .trimEnd()
      .split("\n")
      .map((line) => `      ${line}`)
      .join("\n")}\n`,
  );
  assert.notEqual(withSecretFile, config);
  const redacted = redactMachineConfig(withSecretFile);
  assert.doesNotMatch(redacted, /PRIVATE KEY|abcdef\.0123456789abcdef/);
  assert.equal(at(documents(redacted)[0], "files", 0, "content"), REDACTED);
});

test("a config that does not parse is refused, not passed through", () => {
  assert.throws(
    () => redactMachineConfig(`${config}\nbroken: [`),
    (error: unknown) => isConfigError(error),
  );
  assert.throws(
    () => redactMachineConfig("kind: Nonsense\n"),
    (error: unknown) => isConfigError(error),
  );
});
