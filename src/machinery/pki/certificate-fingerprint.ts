import { createHash, X509Certificate } from "node:crypto";

/**
 * The SHA-256 fingerprint of a certificate (PEM text or DER bytes) in the form
 * `openssl x509 -noout -fingerprint -sha256` prints after `=`: uppercase hex pairs joined by colons.
 * That form, because it is what an operator compares against on a console or in a log when
 * pinning a maintenance-mode node or tracing which certificate made a call.
 */
export function certificateFingerprint(certificate: string | Uint8Array): string {
  const der = typeof certificate === "string" ? new X509Certificate(certificate).raw : certificate;
  const hex = createHash("sha256").update(der).digest("hex").toUpperCase();
  return hex.match(/../g)?.join(":") ?? "";
}
