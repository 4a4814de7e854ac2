import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { openssl, pemDirectory, x509Text } from "./openssl-for-tests.ts";

const files = pemDirectory();
after(() => files.remove());

const HOUR = 3_600_000;
const now = new Date("2030-06-01T12:00:00.000Z");

const expectations = [
  {
    algorithm: "ed25519",
    publicKeyLine: /Public Key Algorithm: ED25519/,
    signature: /Signature Algorithm: ED25519/,
  },
  {
    algorithm: "ecdsa-p256",
    publicKeyLine: /Public Key Algorithm: id-ecPublicKey[\s\S]*(prime256v1|P-256)/,
    signature: /Signature Algorithm: ecdsa-with-SHA256/,
  },
] as const;

for (const { algorithm, publicKeyLine, signature } of expectations) {
  test(`an ${algorithm} CA is a root OpenSSL accepts, with the extensions of a CA`, async () => {
    const ca = await createCertificateAuthority({
      commonName: "stele-os",
      organization: "stele",
      algorithm,
      ttlMs: 87600 * HOUR,
    });
    const text = x509Text(ca.crt);
    assert.match(text, publicKeyLine);
    assert.match(text, signature);
    assert.match(text, /Subject: O = stele, CN = stele-os/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE\s*\n/, "CA:TRUE, critical, no pathlen");
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    assert.match(text, /X509v3 Subject Key Identifier/);
    assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8");
    const crtPath = files.write(`${algorithm}-ca.pem`, ca.crt);
    const keyPath = files.write(`${algorithm}-ca.key`, ca.key);
    const verify = openssl(["verify", "-CAfile", crtPath, crtPath]);
    assert.ok(verify.ok, verify.output);
    const pkey = openssl(["pkey", "-in", keyPath, "-noout"]);
    assert.ok(pkey.ok, pkey.output);
    // The key is the certificate's: same public key from both.
    assert.equal(
      openssl(["x509", "-in", crtPath, "-noout", "-pubkey"]).output,
      openssl(["pkey", "-in", keyPath, "-pubout"]).output,
    );
  });
}

test("validity starts a minute early for clock skew and lasts the lifetime asked for", async () => {
  const ca = await createCertificateAuthority({
    commonName: "etcd",
    algorithm: "ecdsa-p256",
    ttlMs: 24 * HOUR,
    now,
  });
  const info = inspectCertificate(ca.crt);
  assert.equal(info.notBefore.toISOString(), "2030-06-01T11:59:00.000Z");
  assert.equal(info.notAfter.toISOString(), "2030-06-02T12:00:00.000Z");
  assert.equal(info.isCA, true);
  assert.equal(info.selfSigned, true);
});

test("serial numbers are 16 random bytes and positive", async () => {
  const serials = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const ca = await createCertificateAuthority({ commonName: "x", algorithm: "ed25519", ttlMs: HOUR });
      return inspectCertificate(ca.crt).serial;
    }),
  );
  assert.equal(new Set(serials).size, serials.length);
  for (const serial of serials) {
    assert.match(serial, /^[0-9A-F]{32}$/);
    assert.ok(Number.parseInt(serial.slice(0, 2), 16) < 0x80, "high bit clear: a positive INTEGER");
  }
});

test("a zero or negative lifetime is refused", async () => {
  await assert.rejects(createCertificateAuthority({ commonName: "x", algorithm: "ed25519", ttlMs: 0 }), {
    code: "invalid-argument",
    message: /lifetime/,
  });
});
