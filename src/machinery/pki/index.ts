/**
 * The PKI of Stele: CAs, leaf certificates, CSRs, inspection and the secrets bundle. Only what is
 * exported here is the public surface; the other modules of this directory are its parts.
 */
export type { CertificateAndKey } from "./certificate-and-key.ts";
export {
  type CreateCertificateAuthorityOptions,
  createCertificateAuthority,
} from "./certificate-authority.ts";
export {
  type KeyMatchesCertificateOptions,
  keyMatchesCertificate,
  type VerifyIssuedByOptions,
  verifyIssuedBy,
} from "./certificate-checks.ts";
export { NOT_BEFORE_SKEW_MS } from "./certificate-fields.ts";
export {
  type CreateCertificateRequestOptions,
  createCertificateRequest,
} from "./create-certificate-request.ts";
export { type CertificateInfo, inspectCertificate } from "./inspect-certificate.ts";
export { inspectPrivateKey } from "./inspect-private-key.ts";
export {
  type CertificateUsage,
  type IssueCertificateOptions,
  type IssuedCertificate,
  issueCertificate,
} from "./issue-certificate.ts";
export type { KeyAlgorithm, KeyAlgorithmName, KeyDescription } from "./keys.ts";
export {
  type LoadCertificateAuthorityOptions,
  loadCertificateAuthority,
} from "./load-certificate-authority.ts";
export { generateToken, TOKEN_PATTERN } from "./random-token.ts";
export type { PemLabelOptions } from "./read-pem.ts";
export { CA_TTL_MS, type GenerateSecretsBundleOptions, generateSecretsBundle } from "./secrets-bundle.ts";
export {
  SECRETS_BUNDLE_KIND,
  type SecretsBundle,
  type SecretsBundleDocument,
  secretsBundleSchema,
} from "./secrets-bundle-schema.ts";
export { parseSecretsBundle, serializeSecretsBundle } from "./secrets-bundle-yaml.ts";
export { type SignCertificateRequestOptions, signCertificateRequest } from "./sign-certificate-request.ts";
