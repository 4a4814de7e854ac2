import { SteleError } from "../../machinery/errors.ts";

/**
 * Reads a SHA-256 certificate fingerprint as an operator copies it: the form
 * `openssl x509 -fingerprint -sha256` prints (optionally with its `sha256 Fingerprint=` prefix),
 * colons optional, any case. Returns the canonical `AB:CD:…` form apid prints, so comparing two
 * fingerprints is comparing two strings.
 */
export function parseFingerprint(text: string): string {
  const hex = text
    .trim()
    .replace(/^sha256 fingerprint=/i, "")
    .replaceAll(":", "")
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid --cert-fingerprint: expected a SHA-256 fingerprint of 64 hex digits (colons optional), got ${JSON.stringify(text)}`,
      "Copy the fingerprint the node prints on its console or in its log in maintenance mode",
    );
  }
  return hex.match(/../g)?.join(":") ?? "";
}
