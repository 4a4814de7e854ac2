import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { SteleError } from "../errors.ts";
import { describeKey } from "../pki/keys.ts";

/** A key that signs images: the private key, its public half and the public key's id. */
export interface ImageSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** imageKeyId(publicKey). */
  keyId: string;
}

/** A key that images are verified against: the public key and its id. */
export interface ImageVerifyKey {
  publicKey: KeyObject;
  keyId: string;
}

/**
 * The id of an Ed25519 public key: sha256 (hex) of its raw 32 bytes. The raw bytes, not the SPKI
 * DER or the PEM, so the id is the same whichever encoding a key file uses, and anyone can
 * recompute it (`openssl pkey -pubin -outform DER | tail -c 32 | sha256sum`).
 */
export function imageKeyId(publicKey: KeyObject): string {
  const x = publicKey.export({ format: "jwk" }).x;
  return createHash("sha256")
    .update(Buffer.from(x ?? "", "base64url"))
    .digest("hex");
}

/**
 * Reads a private key (PEM) to sign images with. Only Ed25519: one algorithm with no parameters
 * to choose keeps signing and verifying simple, and is what `openssl pkeyutl` checks as is.
 * `label` names the key's source (a file) in errors.
 */
export function parseImageSigningKey(pem: string, label: string): ImageSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Cannot read the signing key ${label}: not a PEM private key (${(error as Error).message})`,
      "Pass an Ed25519 private key in PEM (`-----BEGIN PRIVATE KEY-----`); `stelectl image keygen` makes one",
      { cause: error },
    );
  }
  requireEd25519(privateKey, label, "signing key");
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: imageKeyId(publicKey) };
}

/**
 * Reads a public key (PEM; a private key is accepted too and only its public half is used) that
 * images may be signed with. Only Ed25519, as parseImageSigningKey.
 */
export function parseImageVerifyKey(pem: string, label: string): ImageVerifyKey {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Cannot read the public key ${label}: not a PEM public key (${(error as Error).message})`,
      "Pass an Ed25519 public key in PEM (`-----BEGIN PUBLIC KEY-----`), such as the .pub file of `stelectl image keygen`",
      { cause: error },
    );
  }
  requireEd25519(publicKey, label, "public key");
  return { publicKey, keyId: imageKeyId(publicKey) };
}

/** A new Ed25519 key pair to sign images with, as PKCS#8 and SPKI PEM, and its key id. */
export function generateImageSigningKey(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    keyId: imageKeyId(publicKey),
  };
}

const ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  "ecdsa-p256": "an ECDSA P-256",
  "ecdsa-p384": "an ECDSA P-384",
  "ecdsa-p521": "an ECDSA P-521",
};

function requireEd25519(key: KeyObject, label: string, what: string): void {
  const description = describeKey(key);
  if (description.algorithm === "ed25519") return;
  const found =
    description.algorithm === "rsa"
      ? `an RSA ${description.bits}-bit key`
      : ALGORITHM_NAMES[description.algorithm] !== undefined
        ? `${ALGORITHM_NAMES[description.algorithm]} key`
        : `a key of type ${key.asymmetricKeyType ?? "unknown"}`;
  throw new SteleError(
    "invalid-argument",
    `Not an Ed25519 ${what}: ${label} holds ${found}`,
    "Stele images are signed with Ed25519 only: create a key with `stelectl image keygen` (or `openssl genpkey -algorithm ed25519`)",
  );
}
