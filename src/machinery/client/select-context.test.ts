import assert from "node:assert/strict";
import { test } from "node:test";
import { createCertificateAuthority } from "../pki/certificate-authority.ts";
import { emptyClientConfig } from "./client-config.ts";
import { mergeClientConfig } from "./merge-client-config.ts";
import { mintClientConfig } from "./mint-client-config.ts";
import { ensureContext, selectContext } from "./select-context.ts";

const HOUR = 3_600_000;
const osCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 87600 * HOUR,
});
const prod = await mintClientConfig({
  osCA,
  roles: ["os:admin"],
  contextName: "prod",
  endpoints: ["10.5.0.2"],
  nodes: ["10.5.0.3"],
});
const lab = await mintClientConfig({ osCA, roles: ["os:reader"], contextName: "lab", endpoints: [] });
const config = mergeClientConfig(prod, lab).config; // current: lab

test("the named context is chosen over the current one", () => {
  assert.equal(selectContext(config).name, "lab");
  assert.equal(selectContext(config, "prod").name, "prod");
  assert.deepEqual(selectContext(config, "prod").context, prod.contexts["prod"]);
});

test("an unknown context is refused with the list of contexts", () => {
  assert.throws(() => selectContext(config, "prd"), {
    code: "not-found",
    message: 'Unknown client context: "prd"',
    hint: "Contexts are prod, lab",
  });
});

test("an empty config says how to get a context", () => {
  assert.throws(() => selectContext(emptyClientConfig()), {
    code: "failed-precondition",
    message: "No client context: the client config has no contexts",
    hint: /stelectl config merge/,
  });
});

test("command-line endpoints and nodes replace the context's", () => {
  const { context } = ensureContext(config, { context: "prod", endpoints: ["10.9.0.1"], nodes: [] });
  assert.deepEqual(context.endpoints, ["10.9.0.1"]);
  assert.deepEqual(context.nodes, ["10.5.0.3"], "an empty --nodes keeps the context's");
  assert.deepEqual(config.contexts["prod"]!.endpoints, ["10.5.0.2"], "the config itself is unchanged");
});

test("a context without endpoints is refused before connecting", () => {
  assert.throws(() => ensureContext(config), {
    code: "failed-precondition",
    message: 'Client context "lab" has no endpoints',
  });
  assert.equal(ensureContext(config, { endpoints: ["10.5.0.2"] }).name, "lab");
});

test("an expired client certificate is refused with its expiry date", async () => {
  const old = await mintClientConfig({
    osCA,
    roles: ["os:reader"],
    contextName: "old",
    endpoints: ["10.5.0.2"],
    ttlMs: HOUR,
    now: new Date(Date.now() - 3 * HOUR),
  });
  assert.throws(() => ensureContext(old), {
    code: "failed-precondition",
    message: /^Client certificate of context "old" expired on \d{4}-\d\d-\d\dT/,
  });
});
