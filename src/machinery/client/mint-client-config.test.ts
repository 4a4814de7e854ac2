import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createCertificateAuthority } from "../pki/certificate-authority.ts";
import { inspectCertificate } from "../pki/inspect-certificate.ts";
import { openssl, pemDirectory, x509Text } from "../pki/openssl-for-tests.ts";
import { type Role, rolesFromOrganizations } from "../role/roles.ts";
import { DEFAULT_CLIENT_CERTIFICATE_TTL_MS, mintClientConfig } from "./mint-client-config.ts";

const files = pemDirectory("stele-client-");
after(() => files.remove());

const HOUR = 3_600_000;
const osCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 87600 * HOUR,
});
const caPath = files.write("ca.pem", osCA.crt);

const roleSets: Role[][] = [["os:admin"], ["os:reader"], ["os:operator", "os:etcd:backup"]];
for (const roles of roleSets) {
  test(`a client config for ${roles.join(",")} holds an Ed25519 client-only certificate whose O values are the roles`, async () => {
    const now = new Date();
    const config = await mintClientConfig({
      osCA,
      roles,
      contextName: "prod",
      endpoints: ["10.5.0.2"],
      nodes: ["10.5.0.3"],
      now,
    });
    assert.equal(config.context, "prod");
    const context = config.contexts["prod"]!;
    assert.deepEqual(context.endpoints, ["10.5.0.2"]);
    assert.deepEqual(context.nodes, ["10.5.0.3"]);
    assert.equal(context.ca, osCA.crt);
    const name = roles.join("_").replaceAll(":", "-");
    const crtPath = files.write(`${name}.pem`, context.crt);
    const client = openssl(["verify", "-CAfile", caPath, "-purpose", "sslclient", crtPath]);
    assert.ok(client.ok, client.output);
    const server = openssl(["verify", "-CAfile", caPath, "-purpose", "sslserver", crtPath]);
    assert.equal(server.ok, false, "a client certificate must not serve");
    const text = x509Text(context.crt);
    assert.match(text, /Public Key Algorithm: ED25519/);
    assert.match(text, /X509v3 Extended Key Usage: *\n\s+TLS Web Client Authentication\n/);
    assert.match(text, new RegExp(`Subject: ${roles.map((r) => `O = ${r}`).join(", ")}, CN = stelectl`));
    assert.ok(openssl(["pkey", "-in", files.write(`${name}.key`, context.key), "-noout"]).ok);
    const info = inspectCertificate(context.crt);
    assert.deepEqual(rolesFromOrganizations(info.organizations), roles);
    assert.equal(
      info.notAfter.getTime(),
      Math.floor((now.getTime() + DEFAULT_CLIENT_CERTIFICATE_TTL_MS) / 1000) * 1000,
    );
  });
}

test("the lifetime and common name can be chosen", async () => {
  const config = await mintClientConfig({
    osCA,
    roles: ["os:reader"],
    ttlMs: 2 * HOUR,
    contextName: "ci",
    endpoints: [],
    commonName: "backup-job",
  });
  const info = inspectCertificate(config.contexts["ci"]!.crt);
  assert.equal(info.commonName, "backup-job");
  assert.ok(info.notAfter.getTime() - info.notBefore.getTime() <= 2 * HOUR + 60_000);
  assert.deepEqual(config.contexts["ci"]!.nodes, []);
});

test("an empty role list is refused", async () => {
  await assert.rejects(mintClientConfig({ osCA, roles: [], contextName: "x", endpoints: [] }), {
    code: "invalid-argument",
    message: "Cannot mint a client config: no roles given",
  });
});
