import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../errors.ts";
import { createCertificateAuthority } from "../pki/certificate-authority.ts";
import {
  type ClientConfig,
  emptyClientConfig,
  parseClientConfig,
  resolveClientConfigPath,
  serializeClientConfig,
} from "./client-config.ts";
import { mergeClientConfig } from "./merge-client-config.ts";
import { mintClientConfig } from "./mint-client-config.ts";

const FILE = "stelectlconfig";
const osCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 87600 * 3_600_000,
});
const prod = await mintClientConfig({
  osCA,
  roles: ["os:admin"],
  contextName: "prod",
  endpoints: ["10.5.0.2", "[fd00::2]:50000"],
  nodes: ["10.5.0.3"],
});
const dev = await mintClientConfig({
  osCA,
  roles: ["os:reader"],
  contextName: "dev",
  endpoints: ["dev-1:50000"],
});
const both = mergeClientConfig(prod, dev).config;
const yaml = serializeClientConfig(both);

/** Asserts rejection with exactly these `line:col path: message` prefixes, in order. */
function assertRejected(text: string, expected: string[]): void {
  assert.throws(
    () => parseClientConfig(text, { file: FILE }),
    (error: unknown) => {
      assert.ok(isSteleError(error), String(error));
      assert.equal(error.code, "invalid-config");
      const lines =
        expected.length === 1
          ? [error.message.replace(/^Client config rejected: /, "")]
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

test("a client config round-trips through YAML", () => {
  assert.deepEqual(parseClientConfig(yaml, { file: FILE }), both);
});

test("the YAML has the talosconfig shape, PEM as block literals", () => {
  assert.match(
    yaml,
    /^context: dev\ncontexts:\n {2}prod:\n {4}endpoints:\n {6}- 10\.5\.0\.2\n {6}- "?\[fd00::2\]:50000"?\n/,
  );
  assert.match(yaml, /\n {4}ca: \|\n {6}-----BEGIN CERTIFICATE-----\n/);
  assert.match(yaml, /\n {4}key: \|\n {6}-----BEGIN PRIVATE KEY-----\n/);
});

test("nodes may be left out, and an empty file is an empty config", () => {
  const text = yaml.replace(/\n {4}nodes:\n {6}- 10\.5\.0\.3/, "");
  assert.deepEqual(parseClientConfig(text, { file: FILE }).contexts["prod"]!.nodes, []);
  assert.deepEqual(parseClientConfig("", { file: FILE }), emptyClientConfig());
});

test("a key from another context is reported at its line:column", () => {
  const swapped: ClientConfig = structuredClone(both);
  swapped.contexts["prod"]!.key = both.contexts["dev"]!.key;
  const text = serializeClientConfig(swapped);
  const line = text.slice(0, text.indexOf("    key: |")).split("\n").length;
  assertRejected(text, [
    `${line}:10 contexts.prod.key: the private key does not match the certificate in contexts.prod.crt`,
  ]);
});

test("unknown fields, URLs as endpoints and broken PEM are all reported", () => {
  const text = yaml
    .replace("context: dev\n", "context: dev\ncurrent: prod\n")
    .replace("- 10.5.0.2", "- https://10.5.0.2")
    .replace(
      /(\n {2}dev:\n {4}endpoints:\n {6}- dev-1:50000\n {4}nodes: \[\]\n {4}ca: )\|\n(?: {6}.*\n)+/,
      '$1"not pem"\n',
    );
  assert.throws(
    () => parseClientConfig(text, { file: FILE }),
    (error: unknown) => {
      assert.ok(isSteleError(error));
      assert.match(error.message, /^Client config rejected: 3 problems\n/);
      assert.match(error.message, /\n {2}stelectlconfig:2:1 current: unknown field\n/);
      assert.match(
        error.message,
        /\n {2}stelectlconfig:6:9 contexts\.prod\.endpoints\[0\]: expected a host or address/,
      );
      assert.match(
        error.message,
        /contexts\.dev\.ca: certificate in this field is not valid PEM: found no -----BEGIN----- line/,
      );
      return true;
    },
  );
});

test("a current context that does not exist is refused, listing the contexts", () => {
  assertRejected(yaml.replace("context: dev", "context: staging"), [
    '1:10 context: the current context "staging" does not exist; contexts are prod, dev',
  ]);
});

test("a missing certificate is reported at its context", () => {
  const text = yaml.replace(/\n {4}crt: \|\n(?: {6}.*\n)+?(?= {4}key)/, "\n");
  assertRejected(text, ["3:3 contexts.prod.crt: required field is missing (expected string)"]);
});

const paths: Array<[string, Parameters<typeof resolveClientConfigPath>[0], string]> = [
  ["the flag wins", { flag: "/etc/c", env: { STELECONFIG: "/env/c" }, home: "/h" }, "/etc/c"],
  ["then STELECONFIG", { env: { STELECONFIG: "/env/c" }, home: "/h" }, "/env/c"],
  ["then ~/.stele/config", { env: {}, home: "/home/ann" }, "/home/ann/.stele/config"],
  ["~ in a flag is expanded", { flag: "~/other", env: {}, home: "/home/ann" }, "/home/ann/other"],
];
for (const [what, options, expected] of paths) {
  test(`config path: ${what}`, () => assert.equal(resolveClientConfigPath(options), expected));
}
