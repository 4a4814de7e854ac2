/**
 * A certificate and its private key, both PEM text: the unit every CA in a secrets bundle, every
 * issued certificate and every client context is stored as. Plain strings, so they go into YAML,
 * files and protobuf messages without conversion.
 */
export interface CertificateAndKey {
  /** The certificate, PEM (`-----BEGIN CERTIFICATE-----`). */
  crt: string;
  /** The private key, PEM; PKCS#8 (`-----BEGIN PRIVATE KEY-----`) for every key Stele generates. */
  key: string;
}
