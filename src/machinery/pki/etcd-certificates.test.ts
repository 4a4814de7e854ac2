import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { ETCD_CLIENT_COMMON_NAME, issueEtcdCertificates } from "./etcd-certificates.ts";
import { openssl, pemDirectory, x509Text } from "./openssl-for-tests.ts";

const files = pemDirectory("stele-etcd-pki-");
after(() => files.remove());

const YEAR = 365 * 24 * 3_600_000;
const etcdCA = await createCertificateAuthority({
  commonName: "etcd",
  algorithm: "ecdsa-p256",
  ttlMs: 10 * YEAR,
});
const otherCA = await createCertificateAuthority({
  commonName: "etcd",
  algorithm: "ecdsa-p256",
  ttlMs: 10 * YEAR,
});
const caPath = files.write("etcd-ca.pem", etcdCA.crt);
const otherCaPath = files.write("other-ca.pem", otherCA.crt);
const certs = await issueEtcdCertificates(etcdCA, {
  hostname: "cp-1",
  addresses: ["10.5.0.2", "fd00::2", "not-an-ip"],
});

function verify(name: string, pem: string, purpose: "sslserver" | "sslclient", ca = caPath): boolean {
  const path = files.write(`${name}-${purpose}.pem`, pem);
  return openssl(["verify", "-CAfile", ca, "-purpose", purpose, path]).ok;
}

for (const which of ["server", "peer"] as const) {
  test(`the ${which} certificate verifies with openssl as both TLS server and client, as etcd needs`, () => {
    assert.equal(verify(which, certs[which].crt, "sslserver"), true);
    assert.equal(verify(which, certs[which].crt, "sslclient"), true);
  });

  test(`the ${which} certificate names the hostname, every node address and loopback`, () => {
    const text = x509Text(certs[which].crt);
    const sans = /X509v3 Subject Alternative Name: *\n\s+(.*)\n/.exec(text)?.[1] ?? "";
    for (const name of [
      "DNS:cp-1",
      "IP Address:10.5.0.2",
      "IP Address:FD00:0:0:0:0:0:0:2",
      "IP Address:127.0.0.1",
    ]) {
      assert.ok(sans.includes(name), `${name} missing from ${sans}`);
    }
    assert.ok(/IP Address:0:0:0:0:0:0:0:1\b/.test(sans), `::1 missing from ${sans}`);
    assert.ok(!sans.includes("not-an-ip"), "a value that is not an address is left out");
    assert.match(text, /Subject: CN = cp-1/);
  });
}

test("machined's client certificate is for client authentication only", () => {
  assert.equal(verify("client", certs.client.crt, "sslclient"), true);
  assert.equal(verify("client", certs.client.crt, "sslserver"), false);
  assert.match(x509Text(certs.client.crt), new RegExp(`Subject: CN = ${ETCD_CLIENT_COMMON_NAME}`));
});

test("every key is ECDSA P-256 and matches its certificate", () => {
  for (const which of ["server", "peer", "client"] as const) {
    const { crt, key } = certs[which];
    assert.match(x509Text(crt), /Public Key Algorithm: id-ecPublicKey[\s\S]*(prime256v1|P-256)/);
    const fromKey = openssl(["pkey", "-pubout"], { input: key });
    const fromCrt = openssl(["x509", "-noout", "-pubkey"], { input: crt });
    assert.ok(fromKey.ok && fromCrt.ok);
    assert.equal(fromKey.output, fromCrt.output, `${which}: key and certificate differ`);
  }
});

test("the certificates do not verify against another etcd CA of the same name", () => {
  assert.equal(verify("server-other", certs.server.crt, "sslserver", otherCaPath), false);
  assert.equal(verify("client-other", certs.client.crt, "sslclient", otherCaPath), false);
});

test("issuing from a CA without its key fails with a message naming the etcd CA", async () => {
  await assert.rejects(
    issueEtcdCertificates({ crt: etcdCA.crt, key: "" }, { hostname: "cp-1", addresses: ["10.5.0.2"] }),
    /etcd CA/,
  );
});
