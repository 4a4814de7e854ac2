import assert from "node:assert/strict";
import { after, test } from "node:test";
import { isSteleError } from "../errors.ts";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { keyMatchesCertificate, verifyIssuedBy } from "./certificate-checks.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { inspectPrivateKey } from "./inspect-private-key.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { openssl, pemDirectory } from "./openssl-for-tests.ts";

const files = pemDirectory();
after(() => files.remove());

const HOUR = 3_600_000;
const now = new Date(Date.UTC(2031, 0, 1));
const ca = await createCertificateAuthority({
  commonName: "etcd",
  algorithm: "ecdsa-p256",
  ttlMs: 87600 * HOUR,
  now,
});
const otherCA = await createCertificateAuthority({
  commonName: "etcd",
  algorithm: "ecdsa-p256",
  ttlMs: 87600 * HOUR,
  now,
});
const leaf = await issueCertificate({
  ca,
  commonName: "etcd-peer",
  organizations: ["members"],
  usage: "peer",
  dnsNames: ["cp-1"],
  ipAddresses: ["10.5.0.2", "fd00:0:0:0:0:0:0:2"],
  ttlMs: 8760 * HOUR,
  algorithm: "ed25519",
  now,
});

/** Generates a P-384 key with openssl, as a company PKI might; returns the SEC1 key file's path. */
function opensslP384Key(): string {
  const path = `${files.dir}/p384.key`;
  const result = openssl(["ecparam", "-genkey", "-name", "secp384r1", "-noout", "-out", path]);
  assert.ok(result.ok, result.output);
  return path;
}

test("a leaf is described as OpenSSL would describe it", () => {
  const info = inspectCertificate(leaf.crt);
  const serial = openssl(["x509", "-noout", "-serial"], { input: leaf.crt }).output.trim();
  assert.deepEqual(
    { ...info, serial: `serial=${info.serial}` },
    {
      commonName: "etcd-peer",
      organizations: ["members"],
      issuerCommonName: "etcd",
      serial,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 8760 * HOUR),
      isCA: false,
      keyAlgorithm: "ed25519",
      keyBits: 256,
      signatureAlgorithm: "ecdsa-with-SHA256",
      keyUsage: ["digitalSignature"],
      extKeyUsage: ["serverAuth", "clientAuth"],
      dnsNames: ["cp-1"],
      ipAddresses: ["10.5.0.2", "fd00::2"],
      selfSigned: false,
    },
  );
});

test("a CA is described as a self-signed CA", () => {
  const info = inspectCertificate(ca.crt);
  assert.equal(info.isCA, true);
  assert.equal(info.selfSigned, true);
  assert.equal(info.keyAlgorithm, "ecdsa-p256");
  assert.deepEqual(info.keyUsage, ["digitalSignature", "keyCertSign", "cRLSign"]);
  assert.deepEqual(info.extKeyUsage, []);
});

test("an RSA certificate made by openssl is described with OpenSSL's names", () => {
  const keyPath = `${files.dir}/rsa-ca.key`;
  const made = openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyPath,
    "-subj",
    "/O=ACME/CN=ACME Root",
    "-days",
    "30",
  ]);
  assert.ok(made.ok, made.output);
  const info = inspectCertificate(made.output);
  assert.equal(info.keyAlgorithm, "rsa");
  assert.equal(info.keyBits, 2048);
  assert.equal(info.signatureAlgorithm, "sha256WithRSAEncryption");
  assert.equal(info.commonName, "ACME Root");
  assert.equal(info.selfSigned, true);
});

test("private keys are described by algorithm and size, in every PEM form", () => {
  assert.deepEqual(inspectPrivateKey(leaf.key!), { algorithm: "ed25519", bits: 256 });
  assert.deepEqual(inspectPrivateKey(ca.key), { algorithm: "ecdsa-p256", bits: 256 });
  const path = opensslP384Key();
  const pkcs8 = openssl(["pkey", "-in", path]).output;
  const sec1 = openssl(["ec", "-in", path]).output;
  assert.match(pkcs8, /BEGIN PRIVATE KEY/);
  assert.match(sec1, /BEGIN EC PRIVATE KEY/);
  assert.deepEqual(inspectPrivateKey(pkcs8), { algorithm: "ecdsa-p384", bits: 384 });
  assert.deepEqual(inspectPrivateKey(sec1), { algorithm: "ecdsa-p384", bits: 384 });
});

test("keyMatchesCertificate tells a certificate's own key from another", () => {
  assert.equal(keyMatchesCertificate(ca.crt, ca.key), true);
  assert.equal(keyMatchesCertificate(ca.crt, otherCA.key), false);
  assert.equal(keyMatchesCertificate(leaf.crt, ca.key), false);
});

test("verifyIssuedBy checks the signature, not just the issuer's name", () => {
  assert.equal(verifyIssuedBy(leaf.crt, ca.crt), true);
  assert.equal(verifyIssuedBy(leaf.crt, otherCA.crt), false, "same name, other key");
  assert.equal(verifyIssuedBy(ca.crt, ca.crt), true, "a root issues itself");
  assert.equal(verifyIssuedBy(ca.crt, leaf.crt), false);
  // A leaf whose signature was altered still names the CA, and must not pass.
  const der = Buffer.from(leaf.crt.replace(/-----[^-]+-----|\s/g, ""), "base64");
  der[der.length - 3]! ^= 0x01;
  const tampered = `-----BEGIN CERTIFICATE-----\n${der.toString("base64")}\n-----END CERTIFICATE-----\n`;
  assert.equal(inspectCertificate(tampered).issuerCommonName, "etcd");
  assert.equal(verifyIssuedBy(tampered, ca.crt), false);
});

const base64Pem = Buffer.from(ca.crt).toString("base64");
const truncated = ca.crt.replace(/\n[A-Za-z0-9+/=]+\n-----END/, "\n-----END");
const badCertificates: Array<[string, unknown, string]> = [
  ["empty text", "", "Certificate in --ca-cert is not valid PEM: it is empty"],
  [
    "a key",
    ca.key,
    "Certificate in --ca-cert is not valid PEM: found a PRIVATE KEY block where a CERTIFICATE block was expected",
  ],
  ["base64-encoded PEM", base64Pem, "Certificate in --ca-cert is not valid PEM: it is base64-encoded PEM"],
  [
    "text without PEM",
    "hello",
    "Certificate in --ca-cert is not valid PEM: found no -----BEGIN----- line (expected -----BEGIN CERTIFICATE-----)",
  ],
  [
    "a body that is not base64",
    "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    "Certificate in --ca-cert is not valid PEM: the CERTIFICATE block is not valid base64",
  ],
  ["a number", 42, "Certificate in --ca-cert is not valid PEM: expected PEM text, got number"],
];
for (const [what, input, message] of badCertificates) {
  test(`a certificate given as ${what} is refused, naming where it came from`, () => {
    assert.throws(
      () => inspectCertificate(input as string, { label: "--ca-cert" }),
      (error: unknown) =>
        isSteleError(error) && error.code === "invalid-argument" && error.message === message && !!error.hint,
    );
  });
}

test("a truncated certificate is refused as not X.509", () => {
  assert.throws(() => inspectCertificate(truncated, { label: "--ca-cert" }), {
    code: "invalid-argument",
    message: /^Certificate in --ca-cert is not a valid X\.509 certificate: /,
  });
});

test("an encrypted key is refused with a way to decrypt it", () => {
  const encrypted = openssl(["pkey", "-aes256", "-passout", "pass:secret"], { input: ca.key }).output;
  assert.throws(
    () => inspectPrivateKey(encrypted, { label: "--ca-key" }),
    (error: unknown) => {
      return (
        isSteleError(error) &&
        error.message === "Private key in --ca-key is not valid PEM: it is encrypted" &&
        /openssl pkey/.test(error.hint ?? "")
      );
    },
  );
});

test("keyMatchesCertificate names which input is unreadable", () => {
  assert.throws(() => keyMatchesCertificate(ca.crt, ca.crt, { keyLabel: "--ca-key" }), {
    message: /^Private key in --ca-key is not valid PEM: found a CERTIFICATE block/,
  });
});
