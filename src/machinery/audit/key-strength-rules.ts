import type { AuditContext, AuditRule } from "./audit-rule.ts";
import { fieldLabel, pemLabel } from "./field-label.ts";
import type { KeyFacts } from "./key-facts.ts";
import type { PemEntry } from "./pem-inventory.ts";
import { isWeakSignatureHash } from "./signature-hash.ts";

/** The smallest RSA modulus accepted: NIST SP 800-57 gives 2048-bit RSA only until 2030. */
export const MIN_RSA_BITS = 3072;

/** Why a key is too weak, or undefined when it is one of the approved algorithms. */
export function keyWeakness(key: KeyFacts): string | undefined {
  if (key.type === "rsa" || key.type === "rsa-pss") {
    return key.bits < MIN_RSA_BITS ? `RSA keys need at least ${MIN_RSA_BITS} bits` : undefined;
  }
  if (key.type === "ed25519") return undefined;
  if (key.type === "ec" && (key.curve === "P-256" || key.curve === "P-384")) return undefined;
  return `expected RSA of ${MIN_RSA_BITS} bits or more, ECDSA P-256 or P-384, or Ed25519`;
}

/** Signing keys the node verifies images and extensions with: the verifier speaks only these. */
function signingKeyWeakness(key: KeyFacts): string | undefined {
  if (key.type === "ed25519" || (key.type === "ec" && key.curve === "P-256")) return undefined;
  return "image and extension signing keys must be Ed25519 or ECDSA P-256";
}

const STRONG =
  "ECDSA P-256 or P-384, Ed25519, or RSA of 3072 bits or more, with SHA-256 or better signatures (`stelectl gen secrets` generates such CAs)";

function fixFor(entry: PemEntry): string {
  const field = fieldLabel(entry.document, entry.path);
  const { kind } = entry.document;
  if (kind === "TrustedKeysConfig") {
    return `replace ${field} with an Ed25519 or ECDSA P-256 public key (\`openssl genpkey -algorithm ed25519 | openssl pkey -pubout\`) and re-sign the images with it`;
  }
  if (entry.trustBundle) {
    return `ask the owner of this root for one using ${STRONG.replace(/ \(.*\)$/, "")}, or remove it from ${field}`;
  }
  const last = entry.path.at(-1);
  const pair = (last === "crt" || last === "key") && kind !== "TrustedRootsConfig";
  const target = pair ? fieldLabel(entry.document, entry.path.slice(0, -1)) : field;
  return `replace ${target} with ${pair ? "a CA" : "a certificate or key"} using ${STRONG}, then re-issue what it signed`;
}

/**
 * Weak keys and signatures in any PEM of the config: RSA below 3072 bits, curves other than P-256,
 * P-384 and Ed25519, and SHA-1 or MD5 signatures; and image signing keys other than Ed25519 and
 * P-256. A key shared by a certificate and its private key is reported once, on the certificate.
 * A self-signed root in a trust bundle is not judged by its self-signature: nobody verifies it,
 * the root is trusted as such.
 */
export const weakKeyAlgorithmRule: AuditRule = {
  id: "weak-key-algorithm",
  severity: "high",
  title: "Weak key or signature algorithm",
  why: "The seed requires certificates generated with strong algorithms: RSA below 3072 bits falls short of NIST SP 800-57 beyond 2030, SHA-1 and MD5 signatures can be forged by collision, and unapproved curves break interoperability or verification.",
  check(context) {
    const reported = new Set<string>();
    for (const entry of context.pem) checkEntry(context, entry, reported);
  },
};

function checkEntry(context: AuditContext, entry: PemEntry, reported: Set<string>): void {
  const { content } = entry;
  if (content.kind !== "certificate" && content.kind !== "private-key" && content.kind !== "public-key")
    return;
  const signingKey = entry.document.kind === "TrustedKeysConfig";
  const weakness = signingKey ? signingKeyWeakness(content.key) : keyWeakness(content.key);
  if (weakness && !reported.has(content.key.spki)) {
    reported.add(content.key.spki);
    const name = signingKey ? `signing key ${JSON.stringify(keyName(entry))}` : pemLabel(entry);
    context.report(entry.document, {
      path: entry.path,
      message: `the ${name} uses ${article(content.key.name)} ${content.key.name} key: ${weakness}`,
      fix: fixFor(entry),
    });
  }
  if (content.kind === "certificate" && isWeakSignatureHash(content.signatureHash)) {
    if (entry.trustBundle && content.info.selfSigned) return;
    context.report(entry.document, {
      path: entry.path,
      message: `the ${pemLabel(entry)} is signed with ${content.signatureHash} (${content.info.signatureAlgorithm}), which can be forged`,
      fix: fixFor(entry),
    });
  }
}

/** `an` before a vowel sound (`an RSA`, `an Ed25519`, `an ECDSA`), `a` otherwise. */
function article(word: string): string {
  return /^[AEIOUaeiou]|^RSA|^DSA/.test(word) ? "an" : "a";
}

function keyName(entry: PemEntry): string {
  const index = entry.path[1];
  if (entry.document.kind !== "TrustedKeysConfig" || typeof index !== "number") return "";
  return entry.document.keys[index]?.name ?? `keys[${index}]`;
}
