import { readCertificate, readPrivateKey } from "./read-pem.ts";

/** Options of `keyMatchesCertificate`: how to name each input in errors. */
export interface KeyMatchesCertificateOptions {
  certificateLabel?: string;
  keyLabel?: string;
}

/**
 * Whether a private key belongs to a certificate (their public keys are equal), as
 * `openssl x509 -noout -pubkey` compared with `openssl pkey -pubout` would tell. Unreadable PEM
 * throws, naming which of the two it was; a well-formed pair that does not match is `false`.
 */
export function keyMatchesCertificate(
  crtPem: string,
  keyPem: string,
  options: KeyMatchesCertificateOptions = {},
): boolean {
  const certificate = readCertificate(crtPem, { label: options.certificateLabel ?? "the certificate" });
  const key = readPrivateKey(keyPem, { label: options.keyLabel ?? "the key" });
  return certificate.node.checkPrivateKey(key);
}

/** Options of `verifyIssuedBy`: how to name each input in errors. */
export interface VerifyIssuedByOptions {
  leafLabel?: string;
  caLabel?: string;
}

/**
 * Whether `leafPem` was issued by `caPem`: OpenSSL's issuer check (names, key identifiers, the
 * issuer's key usage) and the signature under the CA's key. Validity dates are not checked, so
 * this answers "is this from our CA?" also for an expired certificate.
 */
export function verifyIssuedBy(leafPem: string, caPem: string, options: VerifyIssuedByOptions = {}): boolean {
  const leaf = readCertificate(leafPem, { label: options.leafLabel ?? "the certificate" });
  const ca = readCertificate(caPem, { label: options.caLabel ?? "the CA certificate" });
  return leaf.node.checkIssued(ca.node) && leaf.node.verify(ca.node.publicKey);
}
