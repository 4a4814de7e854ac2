import type { KeyObject, webcrypto } from "node:crypto";
import { SteleError } from "../errors.ts";
import type { CertificateAndKey } from "./certificate-and-key.ts";
import { toSigningKey } from "./keys.ts";
import { type ParsedCertificate, readCertificate, readPrivateKey } from "./read-pem.ts";
import { x509 } from "./x509.ts";

/** A CA ready to sign: its parsed certificate, its signing key and the key identifier leaves point to. */
export interface LoadedCertificateAuthority {
  certificate: ParsedCertificate;
  privateKey: KeyObject;
  signingKey: webcrypto.CryptoKey;
  signingAlgorithm: { name: string; hash?: string };
  /** Hex key identifier for the leaves' authorityKeyIdentifier: the CA's own SKI when it has one. */
  keyId: string;
}

/** Options of `loadCertificateAuthority`. */
export interface LoadCertificateAuthorityOptions {
  /** Names the CA in errors, e.g. `--ca-cert` or `the OS CA`. Defaults to "the CA". */
  label?: string;
  /** The time the CA must be valid at; defaults to now. */
  now?: Date;
}

/**
 * Checks that a certificate and key can act as a CA, and prepares them for signing: the key must
 * match the certificate, the certificate must say CA:TRUE, allow keyCertSign when it has a key
 * usage, and be valid now. Each check fails with its own message, because a company CA handed in
 * by a user is the usual source of these mistakes, and "verification failed" on every node would
 * be the alternative.
 */
export async function loadCertificateAuthority(
  ca: CertificateAndKey,
  options: LoadCertificateAuthorityOptions = {},
): Promise<LoadedCertificateAuthority> {
  const label = options.label ?? "the CA";
  const certificate = readCertificate(ca.crt, { label: `${label} certificate` });
  const privateKey = readPrivateKey(ca.key, { label: `${label} key` });
  if (!certificate.node.checkPrivateKey(privateKey)) {
    throw new SteleError(
      "invalid-argument",
      `Private key of ${label} does not match its certificate: the public keys differ`,
      "Pass the key that was generated with this CA certificate",
    );
  }
  const constraints = certificate.x509.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new SteleError(
      "invalid-argument",
      `Certificate of ${label} is not a CA: it has no basicConstraints CA:TRUE`,
      "Pass a CA certificate; `openssl x509 -noout -ext basicConstraints -in <file>` shows what it is",
    );
  }
  const keyUsage = certificate.x509.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new SteleError(
      "invalid-argument",
      `Certificate of ${label} may not sign certificates: its key usage lacks keyCertSign`,
      "Pass a CA certificate whose key usage includes Certificate Sign",
    );
  }
  const now = options.now ?? new Date();
  if (certificate.node.validToDate <= now) {
    throw new SteleError(
      "failed-precondition",
      `Certificate of ${label} expired on ${certificate.node.validToDate.toISOString()}`,
      "Rotate the CA, or pass one that is still valid",
    );
  }
  const signing = toSigningKey(privateKey, `${label} key`);
  const ski = certificate.x509.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId =
    ski?.keyId ?? Buffer.from(await certificate.x509.publicKey.getKeyIdentifier()).toString("hex");
  return { certificate, privateKey, signingKey: signing.key, signingAlgorithm: signing.algorithm, keyId };
}
