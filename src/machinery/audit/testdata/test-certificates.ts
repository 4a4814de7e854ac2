import { randomBytes, webcrypto } from "node:crypto";
// The project's one door to @peculiar/x509 (it installs the Reflect polyfill the library needs).
import { x509 } from "../../pki/x509.ts";

/**
 * Certificates Stele itself never makes, for the audit's negative tests: RSA-2048 keys, SHA-1
 * signatures, P-384/P-521 curves, chosen validity periods, intermediates of a "company" root.
 * Made at test time with WebCrypto, so no key is ever committed.
 */

/** Key types the tests need. */
export type TestKeyType = "rsa-2048" | "p256" | "p384" | "p521" | "ed25519";

/** A made certificate: PEM of the certificate, its private key and its public key. */
export interface TestCertificate {
  crt: string;
  key: string;
  publicKey: string;
  /** For issuing with it. */
  signer: { privateKey: webcrypto.CryptoKey; algorithm: Algorithm; name: string };
}

type Algorithm = { name: string; hash?: string };

/** Options of makeCertificate. */
export interface MakeCertificateOptions {
  commonName: string;
  key: TestKeyType;
  /** Signature hash for RSA and ECDSA (default SHA-256); ignored for Ed25519. */
  hash?: "SHA-1" | "SHA-256" | "SHA-384";
  /** A CA (basicConstraints CA:TRUE, keyCertSign); default true. */
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** The issuer; self-signed when absent. */
  issuer?: TestCertificate;
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function keyParameters(
  type: TestKeyType,
  hash: string,
): { generate: webcrypto.AlgorithmIdentifier | object; sign: Algorithm } {
  switch (type) {
    case "rsa-2048":
      return {
        generate: {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash,
        },
        sign: { name: "RSASSA-PKCS1-v1_5", hash },
      };
    case "ed25519":
      return { generate: { name: "Ed25519" }, sign: { name: "Ed25519" } };
    default: {
      const namedCurve = { p256: "P-256", p384: "P-384", p521: "P-521" }[type];
      return { generate: { name: "ECDSA", namedCurve }, sign: { name: "ECDSA", hash } };
    }
  }
}

/** Makes a certificate and key of the given type, self-signed or issued by `issuer`. */
export async function makeCertificate(options: MakeCertificateOptions): Promise<TestCertificate> {
  const hash = options.hash ?? "SHA-256";
  const parameters = keyParameters(options.key, hash);
  const keys = (await webcrypto.subtle.generateKey(
    parameters.generate as webcrypto.AlgorithmIdentifier,
    true,
    ["sign", "verify"],
  )) as webcrypto.CryptoKeyPair;
  const ca = options.ca ?? true;
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 365 * 24 * 3_600_000);
  const name = `CN=${options.commonName}`;
  const extensions = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(
      ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  // The issuer signs with its own algorithm; the new key's hash only matters when it signs itself.
  const signer = options.issuer?.signer ?? { privateKey: keys.privateKey, algorithm: parameters.sign, name };
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString("hex").replace(/^./, "4"),
    subject: name,
    issuer: signer.name,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signer.algorithm,
    extensions,
  });
  return {
    crt: `${certificate.toString("pem")}\n`,
    key: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)),
    publicKey: pem("PUBLIC KEY", await webcrypto.subtle.exportKey("spki", keys.publicKey)),
    signer: { privateKey: keys.privateKey, algorithm: parameters.sign, name },
  };
}
