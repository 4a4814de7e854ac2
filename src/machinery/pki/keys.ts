import { generateKeyPair as generateKeyPairCallback, type KeyObject, type webcrypto } from "node:crypto";
import { promisify } from "node:util";
import { SteleError } from "../errors.ts";

const generateKeyPairAsync = promisify(generateKeyPairCallback);

/**
 * The algorithms Stele generates keys with. Ed25519 for the OS API (small, fast, no parameter
 * choices to get wrong) and ECDSA P-256 where Kubernetes and etcd need the widest TLS support.
 * RSA is never generated: it is slow to create and large to carry, and nothing here needs it.
 */
export type KeyAlgorithm = "ed25519" | "ecdsa-p256";

/** The algorithms Stele recognises in keys it is given (a company CA may use any of them). */
export type KeyAlgorithmName = "ed25519" | "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521" | "rsa" | "other";

/** What a key is: its algorithm and its size in bits (the curve size, or the RSA modulus). */
export interface KeyDescription {
  algorithm: KeyAlgorithmName;
  bits: number;
}

/** Generates a fresh key pair; the randomness comes from OpenSSL's CSPRNG through node:crypto. */
export async function generateKeyObjects(
  algorithm: KeyAlgorithm,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (algorithm === "ed25519") return generateKeyPairAsync("ed25519");
  if (algorithm === "ecdsa-p256") return generateKeyPairAsync("ec", { namedCurve: "P-256" });
  throw new SteleError(
    "invalid-argument",
    `Unsupported key algorithm: ${JSON.stringify(algorithm)}`,
    "Use ed25519 or ecdsa-p256",
  );
}

/** A private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the one form Stele writes. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }) as string;
}

/** A public key as SubjectPublicKeyInfo DER, the form certificate builders take. */
export function publicKeyToDer(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}

const CURVES: Readonly<Record<string, { algorithm: KeyAlgorithmName; bits: number }>> = {
  prime256v1: { algorithm: "ecdsa-p256", bits: 256 },
  secp384r1: { algorithm: "ecdsa-p384", bits: 384 },
  secp521r1: { algorithm: "ecdsa-p521", bits: 521 },
};

/** Describes a public or private key object. */
export function describeKey(key: KeyObject): KeyDescription {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return { algorithm: "ed25519", bits: 256 };
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
      return CURVES[curve] ?? { algorithm: "other", bits: 0 };
    }
    case "rsa":
    case "rsa-pss":
      return { algorithm: "rsa", bits: key.asymmetricKeyDetails?.modulusLength ?? 0 };
    default:
      return { algorithm: "other", bits: 0 };
  }
}

/** How to import a private key into WebCrypto and sign with it. */
export interface SigningParameters {
  importAlgorithm: { name: string; namedCurve?: string; hash?: string };
  signingAlgorithm: { name: string; hash?: string };
}

/**
 * The WebCrypto parameters to sign certificates with a CA key. Generated CAs are Ed25519 or P-256,
 * but a company CA may be P-384, P-521 or RSA, and must be usable as is. The hash follows the
 * curve size (as Go's crypto/x509 does); RSA signs with PKCS#1 v1.5 and SHA-256, which every TLS
 * stack accepts.
 */
export function signingParameters(key: KeyObject, label: string): SigningParameters {
  const description = describeKey(key);
  switch (description.algorithm) {
    case "ed25519":
      return { importAlgorithm: { name: "Ed25519" }, signingAlgorithm: { name: "Ed25519" } };
    case "ecdsa-p256":
      return {
        importAlgorithm: { name: "ECDSA", namedCurve: "P-256" },
        signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      };
    case "ecdsa-p384":
      return {
        importAlgorithm: { name: "ECDSA", namedCurve: "P-384" },
        signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
      };
    case "ecdsa-p521":
      return {
        importAlgorithm: { name: "ECDSA", namedCurve: "P-521" },
        signingAlgorithm: { name: "ECDSA", hash: "SHA-512" },
      };
    case "rsa":
      if (key.asymmetricKeyType === "rsa") {
        return {
          importAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
          signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        };
      }
      break;
    default:
      break;
  }
  throw new SteleError(
    "invalid-argument",
    `Cannot sign with the key in ${label}: ${key.asymmetricKeyType ?? "unknown"} keys are not supported`,
    "Use a CA whose key is Ed25519, ECDSA (P-256, P-384, P-521) or RSA",
  );
}

/** Converts a private key to a non-extractable WebCrypto signing key, with its signing algorithm. */
export function toSigningKey(
  key: KeyObject,
  label: string,
): { key: webcrypto.CryptoKey; algorithm: SigningParameters["signingAlgorithm"] } {
  const parameters = signingParameters(key, label);
  return {
    key: key.toCryptoKey(parameters.importAlgorithm, false, ["sign"]),
    algorithm: parameters.signingAlgorithm,
  };
}

/** Converts a public key to a WebCrypto verification key of the matching algorithm. */
export function toVerifyKey(key: KeyObject, label: string): webcrypto.CryptoKey {
  const parameters = signingParameters(key, label);
  return key.toCryptoKey(parameters.importAlgorithm, true, ["verify"]);
}
