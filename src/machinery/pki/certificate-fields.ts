import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { SteleError } from "../errors.ts";
import type { x509 } from "./x509.ts";

/**
 * How far in the past a new certificate's notBefore is set. Nodes boot with clocks that are a
 * little off; a certificate valid "from now" would be refused by a peer whose clock is behind.
 */
export const NOT_BEFORE_SKEW_MS = 60_000;

/**
 * A random, positive, 16-byte serial number as hex. RFC 5280 wants serials unique per CA and
 * CA/Browser rules want at least 64 random bits; 126 random bits (the top bit is cleared to stay
 * positive, the next one set so the DER integer is always 16 bytes) satisfy both without state.
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}

/**
 * The subject name: each Organization as its own RDN, then the CommonName, the order Go writes
 * them in (so `openssl x509 -subject` shows `O = os:admin, CN = stelectl`, as for Talos).
 */
export function subjectName(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  if (commonName.trim() === "") {
    throw new SteleError(
      "invalid-argument",
      "Invalid certificate subject: the common name is empty",
      "Give a common name",
    );
  }
  for (const organization of organizations) {
    if (organization.trim() === "") {
      throw new SteleError(
        "invalid-argument",
        "Invalid certificate subject: an organization is empty",
        "Remove the empty organization (for client certificates: the empty role)",
      );
    }
  }
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

const DNS_NAME =
  /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/**
 * Subject alternative names, checked before they are signed: a bad name in a certificate is only
 * noticed when a TLS handshake fails, far from the command that caused it. IP addresses are kept
 * as written (Node's isIP accepts both families); DNS names may carry one leading wildcard label.
 */
export function subjectAltNames(
  dnsNames: readonly string[] = [],
  ipAddresses: readonly string[] = [],
): x509.JsonGeneralNames {
  const names: x509.JsonGeneralNames = [];
  for (const name of dnsNames) {
    if (name.length > 253 || !DNS_NAME.test(name)) {
      throw new SteleError(
        "invalid-argument",
        `Invalid DNS name for a certificate: ${JSON.stringify(name)}`,
        isIP(name)
          ? "It is an IP address: pass it as an IP address instead"
          : "Use a host name such as node-1.example.com",
      );
    }
    names.push({ type: "dns", value: name });
  }
  for (const address of ipAddresses) {
    if (isIP(address) === 0) {
      throw new SteleError(
        "invalid-argument",
        `Invalid IP address for a certificate: ${JSON.stringify(address)}`,
        "Use an IPv4 or IPv6 address such as 10.5.0.2 or fd00::2, without a port or prefix length",
      );
    }
    names.push({ type: "ip", value: address });
  }
  return names;
}

/** A certificate validity period: from a minute ago, for `ttlMs`, never past `notAfterLimit`. */
export function validityPeriod(options: {
  now: Date;
  ttlMs: number;
  notAfterLimit?: Date;
  notBeforeLimit?: Date;
}): {
  notBefore: Date;
  notAfter: Date;
} {
  const { now, ttlMs } = options;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new SteleError(
      "invalid-argument",
      `Invalid certificate lifetime: expected a positive duration, got ${ttlMs} ms`,
      "Give a lifetime such as 8760h or 1y",
    );
  }
  let notBefore = new Date(now.getTime() - NOT_BEFORE_SKEW_MS);
  let notAfter = new Date(now.getTime() + ttlMs);
  // A leaf that outlives its CA would be refused after the CA expires anyway; clamping says so honestly.
  if (options.notAfterLimit && notAfter > options.notAfterLimit) notAfter = new Date(options.notAfterLimit);
  if (options.notBeforeLimit && notBefore < options.notBeforeLimit)
    notBefore = new Date(options.notBeforeLimit);
  // X.509 times have one-second precision; rounding here keeps what we return equal to what is encoded.
  notBefore = new Date(Math.ceil(notBefore.getTime() / 1000) * 1000);
  notAfter = new Date(Math.floor(notAfter.getTime() / 1000) * 1000);
  return { notBefore, notAfter };
}
