import { z } from "zod";

/**
 * PEM fields. The schema only requires text here; validateConfig parses each block with
 * node:crypto and checks that keys match their certificates, because that needs the pair and
 * gives better messages than a pattern could.
 */

/** One X.509 certificate in PEM form. */
export const pemCertificate = z.string().meta({
  description: "X.509 certificate in PEM form (`-----BEGIN CERTIFICATE-----`), as a YAML block scalar",
});

/** A private key in PEM form (PKCS#8, or the EC/RSA specific forms). */
export const pemPrivateKey = z
  .string()
  .meta({ description: "Private key in PEM form (`-----BEGIN PRIVATE KEY-----`), as a YAML block scalar" });

/**
 * A certificate and, optionally, its private key: the key is present only where the machine signs
 * with it (control planes), so the same shape serves both machine types.
 */
export function certificateAndKey(what: string) {
  return z
    .strictObject({
      crt: pemCertificate.describe(`Certificate of the ${what}, PEM`),
      key: pemPrivateKey
        .optional()
        .describe(`Private key of the ${what}, PEM. Required on control planes; must be absent on workers`),
    })
    .describe(`The ${what}: certificate and, on control planes only, its private key`);
}
