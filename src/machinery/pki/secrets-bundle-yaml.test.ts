import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../errors.ts";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { generateSecretsBundle } from "./secrets-bundle.ts";
import type { SecretsBundle } from "./secrets-bundle-schema.ts";
import { parseSecretsBundle, serializeSecretsBundle } from "./secrets-bundle-yaml.ts";

const bundle = await generateSecretsBundle();
const yaml = serializeSecretsBundle(bundle);
const FILE = "secrets.yaml";

/** `line:column` (1-based) of the `occurrence`-th match of `needle` in `text`, plus `offset` columns. */
function at(text: string, needle: string | RegExp, offset = 0): string {
  const index = typeof needle === "string" ? text.indexOf(needle) : text.search(needle);
  assert.ok(index >= 0, `${needle} not found`);
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  const column = index - before.lastIndexOf("\n") + offset;
  return `${line}:${column}`;
}

/** Asserts the text is rejected with exactly these `file:line:col path: message` lines (messages as prefixes). */
function assertRejected(text: string, expected: string[]): void {
  assert.throws(
    () => parseSecretsBundle(text, { file: FILE }),
    (error: unknown) => {
      assert.ok(isSteleError(error), String(error));
      assert.equal(error.code, "invalid-config");
      assert.ok(error.hint, "a hint");
      const lines =
        expected.length === 1
          ? [error.message.replace(/^Secrets bundle rejected: /, "")]
          : error.message
              .split("\n")
              .slice(1)
              .map((l) => l.trim());
      assert.equal(lines.length, expected.length, error.message);
      for (const [i, prefix] of expected.entries()) {
        assert.ok(lines[i]!.startsWith(`${FILE}:${prefix}`), `${lines[i]}\n  ≠ ${prefix}`);
      }
      return true;
    },
  );
}

test("a bundle round-trips through YAML", () => {
  assert.deepEqual(parseSecretsBundle(yaml, { file: FILE }), bundle);
});

test("the YAML is one SecretsBundle document with PEM as block literals", () => {
  assert.match(yaml, /^apiVersion: stele\.dev\/v1alpha1\nkind: SecretsBundle\ncluster:\n {2}id: /);
  assert.match(yaml, /\n {2}os:\n {4}crt: \|\n {6}-----BEGIN CERTIFICATE-----\n/);
  assert.match(yaml, /\n {4}key: \|\n {6}-----BEGIN PRIVATE KEY-----\n/);
  assert.doesNotMatch(yaml, /\\n/, "no escaped newlines");
});

function withBundle(change: (b: SecretsBundle) => void): string {
  const copy = structuredClone(bundle);
  change(copy);
  return serializeSecretsBundle(copy);
}

test("a key that does not match its certificate is named with its line:column", () => {
  const text = withBundle((b) => {
    b.certs.etcd.key = bundle.certs.kubernetes.key;
  });
  const keyAt = at(text, /(?<=\n {2}etcd:\n {4}crt: \|\n(?: {6}.*\n)+ {4}key: )\|/);
  assertRejected(text, [
    `${keyAt} certs.etcd.key: the private key does not match the certificate in certs.etcd.crt`,
  ]);
});

test("structural problems are all reported at once, in file order", () => {
  const text = yaml
    .replace(/\n {2}secret: .*/, "")
    .replace("trustd:\n", "trustd:\n  tokn: abc\n")
    .replace(/bootstrapToken: .*/, "bootstrapToken: not-a-token");
  assertRejected(text, [
    "3:1 cluster.secret: required field is missing (expected string)",
    "6:19 secrets.bootstrapToken: expected a token of the form [a-z0-9]{6}.[a-z0-9]{16}",
    "9:3 trustd.tokn: unknown field",
  ]);
});

test("a corrupt certificate is reported where it is", () => {
  // Drop one base64 line from the middle of the OS CA certificate.
  const text = yaml.replace(/(crt: \|\n {6}-----BEGIN CERTIFICATE-----\n {6}\S+\n) {6}\S+\n/, "$1");
  assertRejected(text, [
    `${at(text, "crt: |", 5)} certs.os.crt: certificate in this field is not a valid X.509 certificate`,
  ]);
});

test("a leaf certificate in place of a CA is refused", async () => {
  const root = await createCertificateAuthority({
    commonName: "r",
    algorithm: "ecdsa-p256",
    ttlMs: 3_600_000,
  });
  const leaf = await issueCertificate({ ca: root, commonName: "leaf", usage: "client", ttlMs: 3_600_000 });
  const text = withBundle((b) => {
    b.certs.aggregator = { crt: leaf.crt, key: leaf.key! };
  });
  const crtAt = at(text, /(?<=\n {2}aggregator:\n {4}crt: )\|/);
  assertRejected(text, [
    `${crtAt} certs.aggregator.crt: the certificate is not a CA (no basicConstraints CA:TRUE)`,
  ]);
});

test("an Ed25519 service-account key is refused: kube-apiserver cannot sign tokens with it", () => {
  const text = withBundle((b) => {
    b.certs.serviceAccount.key = bundle.certs.os.key;
  });
  assertRejected(text, [
    `${at(text, /(?<=serviceAccount:\n {4}key: )\|/)} certs.serviceAccount.key: kube-apiserver signs service-account tokens with ECDSA or RSA keys only, got ed25519`,
  ]);
});

const syntaxCases: Array<[string, string, string]> = [
  [
    "an unclosed flow sequence",
    "apiVersion: [\n",
    "2:1: YAML syntax error: Flow sequence in block collection",
  ],
  [
    "a duplicate key",
    "kind: SecretsBundle\nkind: SecretsBundle\n",
    "2:1: YAML syntax error: Map keys must be unique",
  ],
  [
    "two documents",
    "kind: SecretsBundle\n---\nkind: SecretsBundle\n",
    "2:1: YAML syntax error: Source contains multiple documents",
  ],
  ["an empty file", "", "1:1: the file is empty"],
  [
    "a machine config",
    "apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\n",
    "2:7 kind: expected kind SecretsBundle, got MachineConfig",
  ],
];
for (const [what, text, expected] of syntaxCases) {
  test(`${what} is refused with its line:column`, () => assertRejected(text, [expected]));
}

test("secret values are never repeated in errors", () => {
  const leaked = "abcdef.0123456789abcdeX";
  const text = yaml.replace(/bootstrapToken: .*/, `bootstrapToken: ${leaked}`);
  assert.throws(
    () => parseSecretsBundle(text, { file: FILE }),
    (error: unknown) => {
      return isSteleError(error) && !error.message.includes(leaked);
    },
  );
});
