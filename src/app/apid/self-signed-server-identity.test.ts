import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, test } from "node:test";
import { certificateFingerprint } from "../../machinery/pki/certificate-fingerprint.ts";
import { inspectCertificate } from "../../machinery/pki/index.ts";
import { openssl, pemDirectory } from "../../machinery/pki/openssl-for-tests.ts";
import { selfSignedServerIdentity } from "./self-signed-server-identity.ts";

const files = pemDirectory("stele-apid-");
after(() => files.remove());

test("the maintenance identity is a self-signed serverAuth leaf for the given names", async () => {
  const identity = await selfSignedServerIdentity({ hostnames: ["node-1"], ips: ["10.5.0.2", "fd00::2"] });
  const info = inspectCertificate(identity.crt);
  assert.equal(info.commonName, "node-1");
  assert.equal(info.isCA, false);
  // Signed by its own key (OpenSSL's "self-signed" also wants keyCertSign, which a leaf must not have).
  const certificate = new X509Certificate(identity.crt);
  assert.equal(certificate.issuer, certificate.subject);
  assert.equal(certificate.verify(certificate.publicKey), true);
  assert.deepEqual(info.extKeyUsage, ["serverAuth"]);
  assert.deepEqual(info.dnsNames, ["node-1"]);
  assert.deepEqual(info.ipAddresses, ["10.5.0.2", "fd00::2"]);
  assert.ok(info.notBefore.getTime() < Date.now());
});

test("its fingerprint is the one `openssl x509 -fingerprint -sha256` prints", async () => {
  const identity = await selfSignedServerIdentity({ ips: ["127.0.0.1"] });
  const result = openssl([
    "x509",
    "-noout",
    "-fingerprint",
    "-sha256",
    "-in",
    files.write("server.crt", identity.crt),
  ]);
  assert.ok(result.ok, result.output);
  assert.equal(result.output.trim().split("=")[1], identity.fingerprint);
  assert.match(identity.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(certificateFingerprint(identity.crt), identity.fingerprint);
});

test("every maintenance boot gets a fresh key", async () => {
  const [a, b] = await Promise.all([
    selfSignedServerIdentity({ ips: ["127.0.0.1"] }),
    selfSignedServerIdentity({ ips: ["127.0.0.1"] }),
  ]);
  assert.notEqual(a.key, b.key);
  assert.notEqual(a.fingerprint, b.fingerprint);
});
