import assert from "node:assert/strict";
import { after, test } from "node:test";
import { isSteleError } from "../errors.ts";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { inspectPrivateKey } from "./inspect-private-key.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { openssl, pemDirectory, x509Text } from "./openssl-for-tests.ts";
import { TOKEN_PATTERN } from "./random-token.ts";
import { CA_TTL_MS, generateSecretsBundle } from "./secrets-bundle.ts";

const files = pemDirectory();
after(() => files.remove());

const now = new Date(Date.UTC(2032, 1, 29, 8, 0, 0));
// Two bundles for the whole file: every test below reads them, none changes them.
const [bundle, second] = await Promise.all([generateSecretsBundle({ now }), generateSecretsBundle({ now })]);

const expectedCAs = [
  {
    name: "os",
    commonName: "stele-os",
    keyAlgorithm: "ed25519",
    opensslKey: /Public Key Algorithm: ED25519/,
  },
  {
    name: "kubernetes",
    commonName: "kubernetes",
    keyAlgorithm: "ecdsa-p256",
    opensslKey: /id-ecPublicKey[\s\S]*(prime256v1|P-256)/,
  },
  {
    name: "etcd",
    commonName: "etcd",
    keyAlgorithm: "ecdsa-p256",
    opensslKey: /id-ecPublicKey[\s\S]*(prime256v1|P-256)/,
  },
  {
    name: "aggregator",
    commonName: "front-proxy",
    keyAlgorithm: "ecdsa-p256",
    opensslKey: /id-ecPublicKey[\s\S]*(prime256v1|P-256)/,
  },
] as const;

for (const { name, commonName, keyAlgorithm, opensslKey } of expectedCAs) {
  test(`the ${name} CA is a ten-year ${keyAlgorithm} root named ${commonName} that OpenSSL accepts`, () => {
    const { crt, key } = bundle.certs[name];
    const info = inspectCertificate(crt);
    assert.equal(info.commonName, commonName);
    assert.equal(info.keyAlgorithm, keyAlgorithm);
    assert.equal(info.isCA, true);
    assert.equal(info.notAfter.getTime(), now.getTime() + CA_TTL_MS);
    const text = x509Text(crt);
    assert.match(text, opensslKey);
    assert.match(text, /CA:TRUE/);
    const crtPath = files.write(`${name}.pem`, crt);
    const keyPath = files.write(`${name}.key`, key);
    const verify = openssl([
      "verify",
      "-attime",
      String(now.getTime() / 1000 + 3600),
      "-CAfile",
      crtPath,
      crtPath,
    ]);
    assert.ok(verify.ok, verify.output);
    assert.ok(openssl(["pkey", "-in", keyPath, "-noout"]).ok);
  });
}

test("every CA has its own key", () => {
  const keys = [...expectedCAs.map(({ name }) => bundle.certs[name].key), bundle.certs.serviceAccount.key];
  const publicKeys = keys.map((key) => openssl(["pkey", "-pubout"], { input: key }).output);
  assert.equal(new Set(publicKeys).size, keys.length);
});

test("the service-account key is an ECDSA P-256 PKCS#8 key", () => {
  assert.match(bundle.certs.serviceAccount.key, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.deepEqual(inspectPrivateKey(bundle.certs.serviceAccount.key), {
    algorithm: "ecdsa-p256",
    bits: 256,
  });
});

test("tokens have the bootstrap token form, secrets are 32 bytes, and none repeat across bundles", () => {
  for (const b of [bundle, second]) {
    assert.match(b.secrets.bootstrapToken, TOKEN_PATTERN);
    assert.match(b.trustd.token, TOKEN_PATTERN);
    for (const secret of [b.cluster.id, b.cluster.secret, b.secrets.secretboxEncryptionSecret]) {
      assert.equal(Buffer.from(secret, "base64").length, 32);
    }
  }
  const values = (b: typeof bundle) => [
    b.cluster.id,
    b.cluster.secret,
    b.secrets.bootstrapToken,
    b.secrets.secretboxEncryptionSecret,
    b.trustd.token,
    b.certs.os.key,
    b.certs.kubernetes.key,
  ];
  const all = [...values(bundle), ...values(second)];
  assert.equal(new Set(all).size, all.length);
});

test("a company CA made with openssl is used as the OS CA, its key stored as PKCS#8", async () => {
  const keyPath = `${files.dir}/company.key`;
  assert.ok(openssl(["ecparam", "-genkey", "-name", "secp384r1", "-noout", "-out", keyPath]).ok);
  const made = openssl([
    "req",
    "-x509",
    "-key",
    keyPath,
    "-subj",
    "/O=ACME/CN=ACME Stele CA",
    "-days",
    "365",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  assert.ok(made.ok, made.output);
  const companyKey = openssl(["ec", "-in", keyPath]).output; // SEC1, as companies often hand keys out
  const withCompanyCA = await generateSecretsBundle({ osCA: { crt: made.output, key: companyKey } });
  assert.equal(inspectCertificate(withCompanyCA.certs.os.crt).commonName, "ACME Stele CA");
  assert.equal(withCompanyCA.certs.os.crt, made.output);
  assert.match(withCompanyCA.certs.os.key, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(
    openssl(["pkey", "-pubout"], { input: withCompanyCA.certs.os.key }).output,
    openssl(["pkey", "-pubout", "-in", keyPath]).output,
  );
  // Client certificates from it verify against it with OpenSSL.
  const client = await issueCertificate({
    ca: withCompanyCA.certs.os,
    commonName: "c",
    usage: "client",
    ttlMs: 3_600_000,
  });
  const verify = openssl([
    "verify",
    "-CAfile",
    files.write("company.pem", made.output),
    "-purpose",
    "sslclient",
    files.write("company-client.pem", client.crt),
  ]);
  assert.ok(verify.ok, verify.output);
  assert.equal(inspectCertificate(client.crt).signatureAlgorithm, "ecdsa-with-SHA384");
});

test("a company 'CA' that is not a CA is refused", async () => {
  const ca = await createCertificateAuthority({ commonName: "root", algorithm: "ed25519", ttlMs: CA_TTL_MS });
  const leaf = await issueCertificate({
    ca,
    commonName: "not-a-ca",
    usage: "client",
    ttlMs: CA_TTL_MS,
    algorithm: "ed25519",
  });
  await assert.rejects(
    generateSecretsBundle({ osCA: { crt: leaf.crt, key: leaf.key! } }),
    (error: unknown) => {
      return (
        isSteleError(error) &&
        error.message === "Certificate of the OS CA is not a CA: it has no basicConstraints CA:TRUE"
      );
    },
  );
});

test("a company CA with a key that is not its own is refused", async () => {
  await assert.rejects(
    generateSecretsBundle({ osCA: { crt: bundle.certs.os.crt, key: second.certs.os.key } }),
    {
      code: "invalid-argument",
      message: "Private key of the OS CA does not match its certificate: the public keys differ",
    },
  );
});
