import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { type CertificateUsage, issueCertificate } from "./issue-certificate.ts";
import type { KeyAlgorithm } from "./keys.ts";
import { openssl, pemDirectory, x509Text } from "./openssl-for-tests.ts";

const files = pemDirectory();
after(() => files.remove());

const HOUR = 3_600_000;
const YEAR = 8760 * HOUR;

// CAs are made once per file: each test issues its own leaves, which is what they check.
const cas = {
  ed25519: await createCertificateAuthority({
    commonName: "stele-os",
    algorithm: "ed25519",
    ttlMs: 10 * YEAR,
  }),
  "ecdsa-p256": await createCertificateAuthority({
    commonName: "kubernetes",
    algorithm: "ecdsa-p256",
    ttlMs: 10 * YEAR,
  }),
};
// Same subject name as the real CA, different key: only the signature tells them apart.
const impostorCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 10 * YEAR,
});
const caPaths = {
  ed25519: files.write("ca-ed25519.pem", cas.ed25519.crt),
  "ecdsa-p256": files.write("ca-p256.pem", cas["ecdsa-p256"].crt),
  impostor: files.write("ca-impostor.pem", impostorCA.crt),
};

const EKU_TEXT: Record<CertificateUsage, string> = {
  client: "TLS Web Client Authentication",
  server: "TLS Web Server Authentication",
  peer: "TLS Web Server Authentication, TLS Web Client Authentication",
};
const KEY_TEXT: Record<KeyAlgorithm, RegExp> = {
  ed25519: /Public Key Algorithm: ED25519/,
  "ecdsa-p256": /Public Key Algorithm: id-ecPublicKey[\s\S]*(prime256v1|P-256)/,
};

let n = 0;
for (const caAlgorithm of ["ed25519", "ecdsa-p256"] as const) {
  for (const algorithm of ["ed25519", "ecdsa-p256"] as const) {
    for (const usage of ["client", "server", "peer"] as const) {
      test(`a ${usage} certificate with an ${algorithm} key from an ${caAlgorithm} CA verifies with openssl for exactly its purpose`, async () => {
        const leaf = await issueCertificate({
          ca: cas[caAlgorithm],
          commonName: "node-1",
          organizations: usage === "client" ? ["os:reader", "os:etcd:backup"] : [],
          usage,
          dnsNames: usage === "client" ? [] : ["node-1.example.com", "*.nodes.example.com"],
          ipAddresses: usage === "client" ? [] : ["10.5.0.2", "fd00::2"],
          ttlMs: YEAR,
          algorithm,
        });
        const crtPath = files.write(`leaf-${n++}.pem`, leaf.crt);
        for (const purpose of ["sslclient", "sslserver"] as const) {
          const expected = usage === "peer" || (purpose === "sslclient") === (usage === "client");
          const result = openssl(["verify", "-CAfile", caPaths[caAlgorithm], "-purpose", purpose, crtPath]);
          assert.equal(result.ok, expected, `${purpose}: ${result.output}`);
        }
        const text = x509Text(leaf.crt);
        assert.match(text, KEY_TEXT[algorithm]);
        assert.match(text, new RegExp(`X509v3 Extended Key Usage: *\\n\\s+${EKU_TEXT[usage]}\\n`));
        assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/, "digitalSignature only");
        assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
        assert.match(text, /X509v3 Authority Key Identifier/);
        if (usage === "client") {
          assert.match(text, /Subject: O = os:reader, O = os:etcd:backup, CN = node-1/);
          assert.doesNotMatch(text, /Subject Alternative Name/);
        } else {
          assert.match(
            text,
            /DNS:node-1\.example\.com, DNS:\*\.nodes\.example\.com, IP Address:10\.5\.0\.2, IP Address:FD00:0:0:0:0:0:0:2/,
          );
        }
      });
    }
  }
}

for (const algorithm of ["ed25519", "ecdsa-p256"] as const) {
  test(`an ${algorithm} leaf verifies only against its own CA, not another with the same name`, async () => {
    const leaf = await issueCertificate({
      ca: cas.ed25519,
      commonName: "c",
      usage: "client",
      ttlMs: HOUR,
      algorithm,
    });
    const crtPath = files.write(`own-${algorithm}.pem`, leaf.crt);
    assert.ok(openssl(["verify", "-CAfile", caPaths.ed25519, crtPath]).ok);
    const wrong = openssl(["verify", "-CAfile", caPaths.impostor, crtPath]);
    assert.equal(wrong.ok, false, `verified against the wrong CA: ${wrong.output}`);
    assert.match(leaf.key!, /^-----BEGIN PRIVATE KEY-----\n/);
    const pkey = openssl(["pkey", "-in", files.write(`own-${algorithm}.key`, leaf.key!), "-noout"]);
    assert.ok(pkey.ok, pkey.output);
  });
}

test("a certificate never outlives its CA", async () => {
  const now = new Date();
  const shortCA = await createCertificateAuthority({
    commonName: "short",
    algorithm: "ed25519",
    ttlMs: 2 * HOUR,
    now,
  });
  const leaf = await issueCertificate({ ca: shortCA, commonName: "c", usage: "client", ttlMs: YEAR, now });
  assert.deepEqual(inspectCertificate(leaf.crt).notAfter, inspectCertificate(shortCA.crt).notAfter);
});

test("a supplied public key is certified as is and no key is returned", async () => {
  const other = await issueCertificate({ ca: cas.ed25519, commonName: "x", usage: "client", ttlMs: HOUR });
  const publicKey = openssl(["x509", "-noout", "-pubkey"], { input: other.crt }).output;
  const issued = await issueCertificate({
    ca: cas.ed25519,
    commonName: "y",
    usage: "client",
    ttlMs: HOUR,
    publicKey,
  });
  assert.equal(issued.key, undefined);
  assert.equal(openssl(["x509", "-noout", "-pubkey"], { input: issued.crt }).output, publicKey);
});

const refusals: Array<[string, () => Promise<unknown>, RegExp]> = [
  [
    "a server certificate without any SAN",
    () => issueCertificate({ ca: cas.ed25519, commonName: "apid", usage: "server", ttlMs: HOUR }),
    /no DNS name or IP address/,
  ],
  [
    "an invalid DNS name",
    () =>
      issueCertificate({
        ca: cas.ed25519,
        commonName: "a",
        usage: "server",
        dnsNames: ["bad name"],
        ttlMs: HOUR,
      }),
    /Invalid DNS name for a certificate: "bad name"/,
  ],
  [
    "an IP address with a prefix length",
    () =>
      issueCertificate({
        ca: cas.ed25519,
        commonName: "a",
        usage: "server",
        ipAddresses: ["10.0.0.1/24"],
        ttlMs: HOUR,
      }),
    /Invalid IP address for a certificate: "10\.0\.0\.1\/24"/,
  ],
  [
    "a CA whose key is another's",
    () =>
      issueCertificate({
        ca: { crt: cas.ed25519.crt, key: impostorCA.key },
        commonName: "a",
        usage: "client",
        ttlMs: HOUR,
      }),
    /Private key of the CA does not match its certificate/,
  ],
  [
    "an empty organization",
    () =>
      issueCertificate({
        ca: cas.ed25519,
        commonName: "a",
        organizations: [""],
        usage: "client",
        ttlMs: HOUR,
      }),
    /an organization is empty/,
  ],
];
for (const [what, issue, message] of refusals) {
  test(`refuses ${what}`, async () => {
    await assert.rejects(issue(), { name: "SteleError", code: "invalid-argument", message });
  });
}

test("refuses to sign with a certificate that is not a CA", async () => {
  const leaf = await issueCertificate({
    ca: cas.ed25519,
    commonName: "leaf",
    usage: "client",
    ttlMs: HOUR,
    algorithm: "ed25519",
  });
  await assert.rejects(
    issueCertificate({
      ca: { crt: leaf.crt, key: leaf.key! },
      commonName: "a",
      usage: "client",
      ttlMs: HOUR,
    }),
    {
      code: "invalid-argument",
      message: "Certificate of the CA is not a CA: it has no basicConstraints CA:TRUE",
    },
  );
});

test("refuses to sign with an expired CA", async () => {
  const past = new Date(Date.now() - 10 * HOUR);
  const expired = await createCertificateAuthority({
    commonName: "old",
    algorithm: "ed25519",
    ttlMs: HOUR,
    now: past,
  });
  await assert.rejects(issueCertificate({ ca: expired, commonName: "a", usage: "client", ttlMs: HOUR }), {
    code: "failed-precondition",
    message: /^Certificate of the CA expired on /,
  });
});
