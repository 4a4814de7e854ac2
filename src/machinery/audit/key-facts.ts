import { createHash, type KeyObject } from "node:crypto";

/** What the audit needs to know about a public key: its algorithm, size and identity. */
export interface KeyFacts {
  /** node:crypto's key type: `ed25519`, `ec`, `rsa`, `rsa-pss`, `dsa`, `ed448`… */
  type: string;
  /** The named curve of an EC key in NIST terms (`P-256`), else undefined. */
  curve: string | undefined;
  /** Modulus size of RSA and DSA keys, curve size of EC and EdDSA keys. */
  bits: number;
  /** How people name it: `RSA 2048-bit`, `ECDSA P-521`, `Ed25519`. */
  name: string;
  /** SHA-256 of the SubjectPublicKeyInfo: equal for a certificate and its private key. */
  spki: string;
}

const CURVES: Readonly<Record<string, { name: string; bits: number }>> = {
  prime256v1: { name: "P-256", bits: 256 },
  secp384r1: { name: "P-384", bits: 384 },
  secp521r1: { name: "P-521", bits: 521 },
  secp256k1: { name: "secp256k1", bits: 256 },
};

/**
 * Describes a public key (pass the public half of a private key). The SPKI hash is what lets the
 * audit tell that two sections share a key even when their certificates differ.
 */
export function keyFacts(publicKey: KeyObject): KeyFacts {
  const spki = createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
  const type = publicKey.asymmetricKeyType ?? "unknown";
  const details = publicKey.asymmetricKeyDetails ?? {};
  switch (type) {
    case "ed25519":
      return { type, curve: undefined, bits: 256, name: "Ed25519", spki };
    case "ed448":
      return { type, curve: undefined, bits: 448, name: "Ed448", spki };
    case "ec": {
      const curve = CURVES[details.namedCurve ?? ""] ?? {
        name: details.namedCurve ?? "unknown curve",
        bits: 0,
      };
      return { type, curve: curve.name, bits: curve.bits, name: `ECDSA ${curve.name}`, spki };
    }
    case "rsa":
    case "rsa-pss":
    case "dsa": {
      const bits = details.modulusLength ?? 0;
      const family = type === "dsa" ? "DSA" : type === "rsa-pss" ? "RSA-PSS" : "RSA";
      return { type, curve: undefined, bits, name: `${family} ${bits}-bit`, spki };
    }
    default:
      return { type, curve: undefined, bits: 0, name: type.toUpperCase(), spki };
  }
}
