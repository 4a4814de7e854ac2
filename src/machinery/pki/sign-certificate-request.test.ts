import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { createCertificateRequest } from "./create-certificate-request.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { openssl, pemDirectory, x509Text } from "./openssl-for-tests.ts";
import { signCertificateRequest } from "./sign-certificate-request.ts";

const files = pemDirectory();
after(() => files.remove());

const HOUR = 3_600_000;
const osCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 10 * 8760 * HOUR,
});
const caPath = files.write("ca.pem", osCA.crt);
// What a worker would send trustd: a request that also asks for admin rights.
const request = await createCertificateRequest({
  commonName: "worker-1",
  organizations: ["os:admin"],
  dnsNames: ["worker-1"],
  ipAddresses: ["10.5.0.3"],
});

test("a request made by createCertificateRequest is one OpenSSL reads and verifies", () => {
  const result = openssl(["req", "-noout", "-verify", "-text"], { input: request.csr });
  assert.ok(result.ok, result.output);
  assert.match(result.output, /Subject: O = os:admin, CN = worker-1/);
  assert.match(result.output, /DNS:worker-1, IP Address:10\.5\.0\.3/);
});

test("trustd's way: organizations dropped, SANs from the request, serverAuth only", async () => {
  const issued = await signCertificateRequest(request.csr, {
    ca: osCA,
    usage: "server",
    ttlMs: HOUR,
    dropOrganizations: true,
  });
  assert.equal(issued.key, undefined);
  const info = inspectCertificate(issued.crt);
  assert.equal(info.commonName, "worker-1");
  assert.deepEqual(info.organizations, []);
  assert.deepEqual(info.dnsNames, ["worker-1"]);
  assert.deepEqual(info.ipAddresses, ["10.5.0.3"]);
  assert.deepEqual(info.extKeyUsage, ["serverAuth"]);
  const verify = openssl([
    "verify",
    "-CAfile",
    caPath,
    "-purpose",
    "sslserver",
    files.write("worker.pem", issued.crt),
  ]);
  assert.ok(verify.ok, verify.output);
  // The certificate is for the requester's key, which only the requester holds.
  assert.equal(
    openssl(["x509", "-noout", "-pubkey"], { input: issued.crt }).output,
    openssl(["pkey", "-pubout"], { input: request.key }).output,
  );
});

test("organizations are kept when the signer trusts the requester, and SANs given override the request's", async () => {
  const issued = await signCertificateRequest(request.csr, {
    ca: osCA,
    usage: "peer",
    ttlMs: HOUR,
    dropOrganizations: false,
    ipAddresses: ["10.5.0.9"],
  });
  const info = inspectCertificate(issued.crt);
  assert.deepEqual(info.organizations, ["os:admin"]);
  assert.deepEqual(info.ipAddresses, ["10.5.0.9"]);
  assert.deepEqual(info.dnsNames, []);
});

test("an OpenSSL RSA request is signed, with keyEncipherment as RSA TLS needs", async () => {
  const keyPath = files.dir + "/rsa.key";
  const made = openssl([
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyPath,
    "-subj",
    "/O=os:reader/CN=legacy",
    "-addext",
    "subjectAltName=DNS:legacy.example.com",
  ]);
  assert.ok(made.ok, made.output);
  const issued = await signCertificateRequest(made.output, {
    ca: osCA,
    usage: "peer",
    ttlMs: HOUR,
    dropOrganizations: false,
  });
  const text = x509Text(issued.crt);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
  assert.match(text, /Subject: O = os:reader, CN = legacy/);
  assert.match(text, /DNS:legacy\.example\.com/);
  const verify = openssl([
    "verify",
    "-CAfile",
    caPath,
    "-purpose",
    "sslclient",
    files.write("rsa.pem", issued.crt),
  ]);
  assert.ok(verify.ok, verify.output);
});

test("a request whose signature does not match its key is refused", async () => {
  // Flip one bit of the signature (at the end of the DER), keeping the PEM well-formed.
  const der = Buffer.from(request.csr.replace(/-----[^-]+-----|\s/g, ""), "base64");
  der[der.length - 5]! ^= 0x01;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(
    signCertificateRequest(tampered, {
      ca: osCA,
      usage: "server",
      ttlMs: HOUR,
      dropOrganizations: true,
      label: "the request of worker-1",
    }),
    {
      code: "invalid-argument",
      message: /^Certificate request in the request of worker-1 has an invalid signature/,
    },
  );
});

test("something that is not a request is refused, naming what was expected", async () => {
  await assert.rejects(
    signCertificateRequest(osCA.crt, { ca: osCA, usage: "server", ttlMs: HOUR, dropOrganizations: true }),
    {
      code: "invalid-argument",
      message:
        "Certificate request in the certificate request is not valid PEM: found a CERTIFICATE block where a CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST block was expected",
    },
  );
});
