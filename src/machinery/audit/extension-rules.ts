import { findDocument } from "../config/document-ref.ts";
import type { AuditRule } from "./audit-rule.ts";

/**
 * The name the image builder gives the key it signs with when it is given none. A node that trusts
 * it trusts anything built on any developer's machine.
 */
export const DEVELOPMENT_SIGNING_KEY_NAME = "stele-development";

/** Key names that say "not for production": a whole `-`/`_`/`.`-separated word of the name. */
const DEVELOPMENT_WORDS = new Set(["dev", "development", "test", "testing", "insecure", "example", "sample"]);

/** Whether a signing key's name marks it as a development or test key. */
export function isDevelopmentKeyName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === DEVELOPMENT_SIGNING_KEY_NAME || lower.split(/[-_.]/).some((word) => DEVELOPMENT_WORDS.has(word))
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * Signature verification off (`TrustedKeysConfig verify: false`), or extensions listed with no
 * TrustedKeysConfig at all, so nothing pins the keys their signatures are checked against.
 */
export const extensionVerificationOffRule: AuditRule = {
  id: "extension-verification-off",
  severity: "critical",
  title: "Image and extension signatures are not verified",
  why: "The seed found that by default a new extension's signature is not validated, yet extensions run privileged and land in the root file system: an unsigned or tampered image is root on every node.",
  check(context) {
    const trusted = findDocument(context.parsed.documents, "TrustedKeysConfig");
    const extensions = findDocument(context.parsed.documents, "ExtensionsConfig");
    if (trusted && !trusted.verify) {
      context.report(trusted, {
        path: ["verify"],
        message:
          "signature verification is off (verify: false): unsigned or tampered OS images and extensions are installed",
        fix: "set TrustedKeysConfig verify: true (the default) and list the public keys your images are signed with under keys",
      });
    } else if (!trusted && extensions && extensions.extensions.length > 0) {
      context.report(extensions, {
        path: ["extensions"],
        message: `${plural(extensions.extensions.length, "extension")} listed, but no TrustedKeysConfig pins the keys their signatures are verified against`,
        fix: "add a TrustedKeysConfig document with verify: true and the Ed25519 or ECDSA P-256 public keys the extensions are signed with",
      });
    }
  },
};

/**
 * Verification on but no key pinned: fail-closed. With extensions listed they would all be refused
 * (`high`: the node will not install what its config asks for); without, it is the safe default of
 * a generated config (`info`).
 */
export const noTrustedKeysRule: AuditRule = {
  id: "no-trusted-keys",
  severity: "high",
  title: "No signing key is trusted",
  why: "With verification on and no key pinned, nothing can be installed: safe, but extensions listed in the config are refused at install or upgrade time, when it is least convenient to find out.",
  check(context) {
    const trusted = findDocument(context.parsed.documents, "TrustedKeysConfig");
    if (!trusted?.verify || trusted.keys.length > 0) return;
    const count = findDocument(context.parsed.documents, "ExtensionsConfig")?.extensions.length ?? 0;
    if (count > 0) {
      context.report(trusted, {
        path: ["keys"],
        message: `no signing key is trusted (keys is empty), so the ${plural(count, "extension")} listed would all be refused`,
        fix: "add the public key the extensions are signed with to TrustedKeysConfig keys (name and publicKey, Ed25519 or ECDSA P-256)",
      });
    } else {
      context.report(trusted, {
        severity: "info",
        path: ["keys"],
        message:
          "no signing key is trusted (keys is empty): nothing unsigned can be installed, and nothing signed either",
        fix: "nothing to do until you add extensions; then add their signing public key to TrustedKeysConfig keys",
      });
    }
  },
};

/** One `info` finding per extension: each runs privileged as root and needs the security team's review. */
export const extensionReviewRule: AuditRule = {
  id: "extension-review",
  severity: "info",
  title: "Extension to review",
  why: "Extensions run privileged, as root, and become part of the root file system; the seed recommends that the security team review and approve every one, self-written modules included.",
  check(context) {
    const extensions = findDocument(context.parsed.documents, "ExtensionsConfig");
    extensions?.extensions.forEach((extension, i) => {
      context.report(extensions, {
        path: ["extensions", i],
        message: `extension ${JSON.stringify(extension.name)} (${extension.image}) runs privileged as root on this node`,
        fix: `have the security team review ${extension.image} and record the approval; remove extensions[${i}] if it is not approved`,
      });
    });
  },
};

/** A trusted signing key named as a development or test key. */
export const developmentSigningKeyRule: AuditRule = {
  id: "development-signing-key",
  severity: "high",
  title: "A development signing key is trusted",
  why: "The image builder signs with a development key when it is given none, and that key is not kept secret: trusting it lets anyone's locally built image or extension pass verification.",
  check(context) {
    const trusted = findDocument(context.parsed.documents, "TrustedKeysConfig");
    trusted?.keys.forEach((key, i) => {
      if (!isDevelopmentKeyName(key.name)) return;
      context.report(trusted, {
        path: ["keys", i, "name"],
        message: `the trusted signing key ${JSON.stringify(key.name)} is a development key`,
        fix: `remove keys[${i}] from TrustedKeysConfig and sign production images with the organisation's release key, listed in its place`,
      });
    });
  },
};
