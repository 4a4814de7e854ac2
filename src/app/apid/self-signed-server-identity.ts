import { KeyObject, webcrypto } from "node:crypto";
import { certificateFingerprint } from "../../machinery/pki/certificate-fingerprint.ts";
import { NOT_BEFORE_SKEW_MS } from "../../machinery/pki/index.ts";
import { x509 } from "../../machinery/pki/x509.ts";

/** Options of `selfSignedServerIdentity`. */
export interface SelfSignedServerIdentityOptions {
  /** DNS names clients may dial; the first one, or the first IP, becomes the common name. */
  hostnames?: readonly string[];
  /** IP addresses clients may dial. */
  ips?: readonly string[];
  /** Lifetime in milliseconds; one year by default (a new identity is made at every maintenance boot). */
  ttlMs?: number;
  /** The time of issue; defaults to now. */
  now?: Date;
}

/** A self-signed server certificate, its key and the fingerprint clients pin it by. */
export interface SelfSignedServerIdentity {
  crt: string;
  key: string;
  /** SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it (`AB:CD:…`). */
  fingerprint: string;
}

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Makes apid's identity for maintenance mode: a node without config has no CA yet, so it serves
 * a fresh self-signed ECDSA P-256 certificate (serverAuth, CA:FALSE, the given SANs) and prints
 * its fingerprint on the console, which the operator compares before sending the first config.
 */
export async function selfSignedServerIdentity(
  options: SelfSignedServerIdentityOptions,
): Promise<SelfSignedServerIdentity> {
  const hostnames = options.hostnames ?? [];
  const ips = options.ips ?? [];
  const commonName = hostnames[0] ?? ips[0] ?? "stele-maintenance";
  const now = options.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const sans: x509.JsonGeneralNames = [
    ...hostnames.map((value) => ({ type: "dns" as const, value })),
    ...ips.map((value) => ({ type: "ip" as const, value })),
  ];
  const notBefore = new Date(now.getTime() - NOT_BEFORE_SKEW_MS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.getRandomValues(Buffer.alloc(16)).toString("hex").replace(/^./, "4"),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter: new Date(now.getTime() + (options.ttlMs ?? YEAR_MS)),
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  const crt = `${certificate.toString("pem")}\n`;
  const key = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString();
  return { crt, key, fingerprint: certificateFingerprint(crt) };
}
