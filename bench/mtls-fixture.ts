/**
 * A throwaway mutual-TLS setup for benchmarks: a CA, a server and a client certificate made at start, and
 * grpc-js credentials that accept TLS 1.3 only and require a client certificate, as apid does. Benchmarks
 * of the API must pay the same handshake and record costs as production, or their floor means nothing.
 */
import { KeyObject, webcrypto } from "node:crypto";
import { createSecureContext } from "node:tls";
import { type ChannelCredentials, credentials, type ServerCredentials } from "@grpc/grpc-js";
import { serverCredentials } from "../src/machinery/grpc/server-credentials.ts";
import { x509 } from "../src/machinery/pki/x509.ts";

/** A certificate and its private key, both PEM. */
export interface PemKeyPair {
  cert: string;
  key: string;
}

/** A CA and the server and client certificates it signed. */
export interface MtlsFixture {
  /** The CA certificate, PEM: both sides trust only it. */
  ca: string;
  /** For 127.0.0.1 and localhost, ExtKeyUsage serverAuth. */
  server: PemKeyPair;
  /** Organization os:admin, ExtKeyUsage clientAuth, as stelectl's admin certificate. */
  client: PemKeyPair;
}

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Makes an ECDSA P-256 CA and a server and a client certificate signed by it, valid from an hour ago (clock
 * skew) for one day: enough for a run, useless if it leaks.
 */
export async function generateMtlsFixture(): Promise<MtlsFixture> {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + DAY_MS);
  const caKeys = await generateKeys();
  const caName = "CN=stele bench CA";
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: caName,
    keys: caKeys,
    serialNumber: "01",
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const leaf = async (subject: string, serialNumber: string, extensions: x509.Extension[]) => {
    const keys = await generateKeys();
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: caName,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      serialNumber,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ...extensions,
      ],
    });
    return { cert: cert.toString("pem"), key: privateKeyPem(keys.privateKey) };
  };

  const server = await leaf("CN=127.0.0.1", "02", [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      { type: "ip", value: "127.0.0.1" },
      { type: "dns", value: "localhost" },
    ]),
  ]);
  const client = await leaf("O=os:admin, CN=bench-client", "03", [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
  return { ca: ca.toString("pem"), server, client };
}

/** grpc-js server credentials for the fixture: TLS 1.3 only, client certificate from the fixture's CA required. */
export function tls13ServerCredentials(fixture: MtlsFixture): ServerCredentials {
  return serverCredentials({
    ca: fixture.ca,
    crt: fixture.server.cert,
    key: fixture.server.key,
    requireClientCert: true,
  });
}

/** grpc-js channel credentials for the fixture's client certificate, TLS 1.3 only. */
export function tls13ChannelCredentials(fixture: MtlsFixture): ChannelCredentials {
  const context = createSecureContext({
    ca: fixture.ca,
    cert: fixture.client.cert,
    key: fixture.client.key,
    minVersion: "TLSv1.3",
  });
  return credentials.createFromSecureContext(context);
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
}

function privateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }).toString();
}
