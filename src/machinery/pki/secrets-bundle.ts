import { randomBytes } from "node:crypto";
import type { CertificateAndKey } from "./certificate-and-key.ts";
import { createCertificateAuthority } from "./certificate-authority.ts";
import { generateKeyObjects, privateKeyToPem } from "./keys.ts";
import { loadCertificateAuthority } from "./load-certificate-authority.ts";
import { generateToken } from "./random-token.ts";
import type { SecretsBundle } from "./secrets-bundle-schema.ts";

/** Lifetime of the CAs of a new bundle: ten years, as Talos and kubeadm give their roots. */
export const CA_TTL_MS = 10 * 365 * 24 * 3_600_000;

/** Options of `generateSecretsBundle`. */
export interface GenerateSecretsBundleOptions {
  /**
   * A company CA to use as the OS API CA instead of a generated one, so that client certificates
   * can come from the company's PKI. It is checked to be a CA whose key matches.
   */
  osCA?: CertificateAndKey;
  /** The time of generation; defaults to now. */
  now?: Date;
}

function secret32(): string {
  return randomBytes(32).toString("base64");
}

/**
 * Generates everything a new cluster needs that must stay secret and stable: the cluster id and
 * secret, the Kubernetes bootstrap and trustd join tokens, the secretbox key for encryption at
 * rest, the four CAs (OS API: Ed25519; Kubernetes, etcd and front-proxy: ECDSA P-256, the widest
 * supported choice for TLS in Kubernetes) and the service-account signing key (ECDSA P-256, which
 * kube-apiserver accepts, unlike Ed25519). Every random byte comes from `crypto.randomBytes` or
 * OpenSSL's key generation.
 */
export async function generateSecretsBundle(
  options: GenerateSecretsBundleOptions = {},
): Promise<SecretsBundle> {
  const now = options.now ?? new Date();
  const osCA = options.osCA
    ? await adoptCompanyCA(options.osCA, now)
    : createCertificateAuthority({ commonName: "stele-os", algorithm: "ed25519", ttlMs: CA_TTL_MS, now });
  const [os, kubernetes, etcd, aggregator, serviceAccountKeys] = await Promise.all([
    osCA,
    createCertificateAuthority({ commonName: "kubernetes", algorithm: "ecdsa-p256", ttlMs: CA_TTL_MS, now }),
    createCertificateAuthority({ commonName: "etcd", algorithm: "ecdsa-p256", ttlMs: CA_TTL_MS, now }),
    createCertificateAuthority({ commonName: "front-proxy", algorithm: "ecdsa-p256", ttlMs: CA_TTL_MS, now }),
    generateKeyObjects("ecdsa-p256"),
  ]);
  return {
    cluster: { id: secret32(), secret: secret32() },
    secrets: { bootstrapToken: generateToken(), secretboxEncryptionSecret: secret32() },
    trustd: { token: generateToken() },
    certs: {
      os,
      kubernetes,
      etcd,
      aggregator,
      serviceAccount: { key: privateKeyToPem(serviceAccountKeys.privateKey) },
    },
  };
}

/**
 * Checks a company CA and stores it the way Stele stores its own: the first certificate of the PEM
 * and the key re-encoded as PKCS#8, whatever form (SEC1, PKCS#1) it came in.
 */
async function adoptCompanyCA(ca: CertificateAndKey, now: Date): Promise<CertificateAndKey> {
  const loaded = await loadCertificateAuthority(ca, { label: "the OS CA", now });
  return { crt: loaded.certificate.pem, key: privateKeyToPem(loaded.privateKey) };
}
