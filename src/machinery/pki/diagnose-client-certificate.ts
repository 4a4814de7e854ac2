import { X509Certificate } from "node:crypto";

const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";

/** Options of `diagnoseClientCertificate`. */
export interface DiagnoseClientCertificateOptions {
  /** The CA certificates (PEM) the node trusts for clients: the cluster's OS CA and extra roots. */
  ca: string | readonly string[];
  /** The time to judge validity at; defaults to now. */
  now?: Date;
}

/**
 * Why apid's TLS handshake would refuse a client certificate, as a sentence for the user, or
 * undefined when it would pass. Node's TLS server drops a connection whose client certificate
 * fails verification without sending an alert, so the client sees only "connection closed"
 * (gRPC UNAVAILABLE); a client runs this on its own certificate to turn that into a reason it
 * can act on. Checks what the handshake checks: dates, the issuing CA, and ExtKeyUsage.
 */
export function diagnoseClientCertificate(
  crt: string,
  options: DiagnoseClientCertificateOptions,
): string | undefined {
  const leaf = new X509Certificate(crt);
  const now = options.now ?? new Date();
  const subject = leaf.subject.replaceAll("\n", ", ");
  if (now < new Date(leaf.validFrom)) {
    return `The client certificate (${subject}) is not valid yet: it is valid from ${new Date(leaf.validFrom).toISOString()}`;
  }
  if (now > new Date(leaf.validTo)) {
    return `The client certificate (${subject}) expired on ${new Date(leaf.validTo).toISOString()}`;
  }
  const cas = (typeof options.ca === "string" ? [options.ca] : options.ca).flatMap(splitPem);
  const issuedByTrustedCa = cas.some((pem) => {
    const ca = new X509Certificate(pem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  });
  if (!issuedByTrustedCa) {
    return `The client certificate (${subject}) is not issued by a CA the node trusts: it was issued by ${leaf.issuer.replaceAll("\n", ", ")}, probably for another cluster`;
  }
  // Node reports ExtKeyUsage OIDs as `keyUsage`; undefined means the extension is absent.
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.includes(CLIENT_AUTH_OID)) {
    return `The client certificate (${subject}) lacks ExtKeyUsage clientAuth: it is not a client certificate`;
  }
  return undefined;
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
