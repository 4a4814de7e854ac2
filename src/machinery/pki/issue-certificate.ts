import type { KeyObject } from "node:crypto";
import { SteleError } from "../errors.ts";
import type { CertificateAndKey } from "./certificate-and-key.ts";
import { randomSerialNumber, subjectAltNames, subjectName, validityPeriod } from "./certificate-fields.ts";
import { generateKeyObjects, type KeyAlgorithm, privateKeyToPem, publicKeyToDer } from "./keys.ts";
import { loadCertificateAuthority } from "./load-certificate-authority.ts";
import { readPublicKey } from "./read-pem.ts";
import { x509 } from "./x509.ts";

/**
 * What a leaf certificate is for, which fixes its ExtKeyUsage exactly: `client` → clientAuth,
 * `server` → serverAuth, `peer` (etcd members, which both serve and dial each other) → both.
 * Nothing else is ever added: apid requires clientAuth on client certificates, and a certificate
 * that can do more than its job is a larger risk when its key leaks.
 */
export type CertificateUsage = "client" | "server" | "peer";

const EXT_KEY_USAGES: Readonly<Record<CertificateUsage, string[]>> = {
  client: [x509.ExtendedKeyUsage.clientAuth],
  server: [x509.ExtendedKeyUsage.serverAuth],
  peer: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

/** Options of `issueCertificate`. */
export interface IssueCertificateOptions {
  /** The CA that signs; checked to be a CA whose key matches. */
  ca: CertificateAndKey;
  commonName: string;
  /** Organization values of the subject; for OS API client certificates, the roles. */
  organizations?: readonly string[];
  usage: CertificateUsage;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Lifetime in milliseconds; clamped so the certificate never outlives its CA. */
  ttlMs: number;
  /** Algorithm of the generated key; ECDSA P-256 by default, which every TLS stack speaks. */
  algorithm?: KeyAlgorithm;
  /** A public key (PEM) to certify instead of generating one, e.g. a CSR's; no key is returned then. */
  publicKey?: string;
  /** The time of issue; defaults to now. */
  now?: Date;
  /** Names the CA in errors (default "the CA"). */
  caLabel?: string;
}

/** An issued certificate, with its private key unless the public key was supplied. */
export interface IssuedCertificate {
  crt: string;
  key?: string;
}

/**
 * Issues a leaf certificate signed by `ca`: keyUsage digitalSignature (plus keyEncipherment for an
 * RSA key, which only a supplied public key can be), ExtKeyUsage exactly as `usage` says,
 * basicConstraints CA:FALSE, the SANs given, and an authorityKeyIdentifier equal to the CA's
 * subjectKeyIdentifier so that OpenSSL and Go find the issuer even among CAs with the same name.
 * A server or peer certificate must name at least one DNS name or IP address: TLS clients check
 * SANs only, so one without them would fail every handshake.
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const now = options.now ?? new Date();
  const ca = await loadCertificateAuthority(options.ca, { label: options.caLabel ?? "the CA", now });
  const sans = subjectAltNames(options.dnsNames, options.ipAddresses);
  if (options.usage !== "client" && sans.length === 0) {
    throw new SteleError(
      "invalid-argument",
      `Cannot issue a ${options.usage} certificate for ${JSON.stringify(options.commonName)}: it names no DNS name or IP address`,
      "Pass the host names and addresses clients will connect to",
    );
  }
  let publicKey: KeyObject;
  let privateKeyPem: string | undefined;
  if (options.publicKey === undefined) {
    const keys = await generateKeyObjects(options.algorithm ?? "ecdsa-p256");
    publicKey = keys.publicKey;
    privateKeyPem = privateKeyToPem(keys.privateKey);
  } else {
    publicKey = readPublicKey(options.publicKey, { label: "the public key to certify" });
  }
  const publicKeyDer = publicKeyToDer(publicKey);
  const isRsa = publicKey.asymmetricKeyType === "rsa";
  const { notBefore, notAfter } = validityPeriod({
    now,
    ttlMs: options.ttlMs,
    notAfterLimit: ca.certificate.node.validToDate,
    notBeforeLimit: ca.certificate.node.validFromDate,
  });
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension(EXT_KEY_USAGES[options.usage], false),
    await x509.SubjectKeyIdentifierExtension.create(publicKeyDer),
    new x509.AuthorityKeyIdentifierExtension(ca.keyId, false),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: subjectName(options.commonName, options.organizations),
    issuer: ca.certificate.x509.subjectName,
    notBefore,
    notAfter,
    publicKey: publicKeyDer,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions,
  });
  const crt = `${certificate.toString("pem")}\n`;
  return privateKeyPem === undefined ? { crt } : { crt, key: privateKeyPem };
}
