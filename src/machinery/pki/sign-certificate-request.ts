import { SteleError } from "../errors.ts";
import type { CertificateAndKey } from "./certificate-and-key.ts";
import { type CertificateUsage, type IssuedCertificate, issueCertificate } from "./issue-certificate.ts";
import { readCertificateRequest } from "./read-pem.ts";
import { x509 } from "./x509.ts";

/** Options of `signCertificateRequest`. */
export interface SignCertificateRequestOptions {
  ca: CertificateAndKey;
  usage: CertificateUsage;
  ttlMs: number;
  /**
   * SANs to certify. When neither list is given, the request's own SANs are used; a signer that
   * knows the node's addresses (trustd) should pass them, so a request cannot claim others.
   */
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /**
   * Whether to leave out the request's Organization values. Organizations are roles on the OS
   * API CA, so a signer serving untrusted requesters (trustd) must drop them: otherwise any
   * holder of the join token could mint itself `os:admin`.
   */
  dropOrganizations: boolean;
  /** Names the request in errors (default "the certificate request"). */
  label?: string;
  now?: Date;
}

/**
 * Signs a PKCS#10 request: the request's signature is verified first (proof that the requester
 * holds the key), then a certificate is issued for its key with the request's CommonName and,
 * unless dropped, Organizations. Usage, lifetime and (when given) SANs are the signer's choice;
 * whatever else the request asks for is ignored.
 */
export async function signCertificateRequest(
  csrPem: string,
  options: SignCertificateRequestOptions,
): Promise<IssuedCertificate> {
  const label = options.label ?? "the certificate request";
  const request = readCertificateRequest(csrPem, { label });
  let signatureValid: boolean;
  try {
    signatureValid = await request.verify();
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) {
    throw new SteleError(
      "invalid-argument",
      `Certificate request in ${label} has an invalid signature: it was not signed by the key it carries`,
      "Create the request again with the key it is for",
    );
  }
  const commonName = request.subjectName.getField("CN")[0];
  if (!commonName) {
    throw new SteleError(
      "invalid-argument",
      `Certificate request in ${label} has no common name`,
      "Create the request with a subject CN, e.g. the node's host name",
    );
  }
  let { dnsNames, ipAddresses } = options;
  if (dnsNames === undefined && ipAddresses === undefined) {
    const san = request.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension);
    const names = san?.names.toJSON() ?? [];
    dnsNames = names.filter((n) => n.type === "dns").map((n) => n.value);
    ipAddresses = names.filter((n) => n.type === "ip").map((n) => n.value);
  }
  return issueCertificate({
    ca: options.ca,
    commonName,
    organizations: options.dropOrganizations ? [] : request.subjectName.getField("O"),
    usage: options.usage,
    dnsNames: dnsNames ?? [],
    ipAddresses: ipAddresses ?? [],
    ttlMs: options.ttlMs,
    publicKey: request.publicKey.toString("pem"),
    ...(options.now ? { now: options.now } : {}),
  });
}
