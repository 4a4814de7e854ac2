import { x509 } from "../pki/x509.ts";

/**
 * Signature algorithms by OID whose hash @peculiar/x509 does not name (it reports the bare OID),
 * mapped to that hash. These are exactly the broken ones, which is why a modern library no longer
 * knows them.
 */
const HASH_BY_OID: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.2": "MD2",
  "1.2.840.113549.1.1.3": "MD4",
  "1.2.840.113549.1.1.4": "MD5",
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.3.14.3.2.29": "SHA-1",
  "1.2.840.10045.4.1": "SHA-1",
  "1.2.840.10040.4.3": "SHA-1",
};

/** Hashes that no longer protect a signature: collisions can be computed (MD5, SHA-1) or worse. */
const WEAK_HASHES: ReadonlySet<string> = new Set(["MD2", "MD4", "MD5", "SHA-1"]);

/**
 * The hash a certificate's signature uses (`SHA-256`, `SHA-1`, `MD5`), `none` for EdDSA (which
 * hashes internally), or the signature algorithm's OID when it is unknown. Read with
 * @peculiar/x509 because OpenSSL's names (inspectCertificate's `signatureAlgorithm`) hide the hash
 * of RSA-PSS, whose default is SHA-1.
 */
export function signatureHash(certificatePem: string): string {
  const algorithm = new x509.X509Certificate(certificatePem).signatureAlgorithm as {
    name: string;
    hash?: { name: string } | string;
  };
  const hash = typeof algorithm.hash === "string" ? algorithm.hash : algorithm.hash?.name;
  if (hash) return hash;
  if (algorithm.name === "Ed25519" || algorithm.name === "EdDSA" || algorithm.name === "Ed448") return "none";
  return HASH_BY_OID[algorithm.name] ?? algorithm.name;
}

/** Whether a hash name from signatureHash is broken for signatures. */
export function isWeakSignatureHash(hash: string): boolean {
  return WEAK_HASHES.has(hash);
}
