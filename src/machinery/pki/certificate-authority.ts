import type { CertificateAndKey } from "./certificate-and-key.ts";
import { randomSerialNumber, subjectName, validityPeriod } from "./certificate-fields.ts";
import { generateKeyObjects, type KeyAlgorithm, privateKeyToPem, toSigningKey, toVerifyKey } from "./keys.ts";
import { x509 } from "./x509.ts";

/** Options of `createCertificateAuthority`. */
export interface CreateCertificateAuthorityOptions {
  commonName: string;
  organization?: string;
  algorithm: KeyAlgorithm;
  /** Lifetime in milliseconds (`parseDuration("87600h")`). */
  ttlMs: number;
  /** The time the CA is created at; tests pass one to build expired or future CAs. */
  now?: Date;
}

/**
 * Creates a self-signed root CA with a fresh key. The extensions are those OpenSSL and Go expect of
 * a root: basicConstraints CA:TRUE (critical, without pathLen, so the CA may later sign an
 * intermediate), keyUsage keyCertSign + cRLSign + digitalSignature (critical) and a
 * subjectKeyIdentifier that issued leaves point to through their authorityKeyIdentifier.
 */
export async function createCertificateAuthority(
  options: CreateCertificateAuthorityOptions,
): Promise<CertificateAndKey> {
  const keys = await generateKeyObjects(options.algorithm);
  const signing = toSigningKey(keys.privateKey, "the new CA key");
  const publicKey = toVerifyKey(keys.publicKey, "the new CA key");
  const { notBefore, notAfter } = validityPeriod({ now: options.now ?? new Date(), ttlMs: options.ttlMs });
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: subjectName(options.commonName, options.organization ? [options.organization] : []),
    notBefore,
    notAfter,
    keys: { privateKey: signing.key, publicKey },
    signingAlgorithm: signing.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return { crt: certificate.toString("pem") + "\n", key: privateKeyToPem(keys.privateKey) };
}
