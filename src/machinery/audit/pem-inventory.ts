import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { ConfigPath } from "../config/config-path.ts";
import type { ParsedConfig } from "../config/parse-config.ts";
import type { ConfigDocument } from "../config/schema/config-kinds.ts";
import { type CertificateInfo, inspectCertificate } from "../pki/index.ts";
import { type KeyFacts, keyFacts } from "./key-facts.ts";
import { signatureHash } from "./signature-hash.ts";

/** What a PEM block turned out to be once read. */
export type PemContent =
  | {
      kind: "certificate";
      info: CertificateInfo;
      key: KeyFacts;
      /** See signatureHash: `SHA-256`, `SHA-1`, `none` (EdDSA)… */
      signatureHash: string;
      /** SHA-256 of the DER certificate, as `openssl x509 -fingerprint -sha256` shows it. */
      fingerprint: string;
    }
  | { kind: "private-key"; key: KeyFacts }
  | { kind: "public-key"; key: KeyFacts }
  | { kind: "unreadable"; reason: string }
  /** A block the audit has no rule for (a CSR, an encrypted key): left alone. */
  | { kind: "other" };

/** One PEM block found in a config, where it is and what it is. */
export interface PemEntry {
  document: ConfigDocument;
  path: ConfigPath;
  /** 1-based position of the block in its field, and how many blocks the field holds. */
  block: number;
  blocks: number;
  /** The PEM label (`CERTIFICATE`, `PRIVATE KEY`), empty when the field holds no PEM at all. */
  label: string;
  /** Whether the field is a bundle of someone else's roots (TrustedRootsConfig, a log receiver's CA). */
  trustBundle: boolean;
  content: PemContent;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const HEADER_KEYS = new Set(["apiVersion", "kind", "name"]);

/**
 * Fields whose schema says PEM, as dotted patterns with `*` for list indexes. A value there without
 * any PEM block is reported as unreadable; PEM found in any other string (files, manifests) is
 * audited too, but free text without PEM is none of the audit's business.
 */
const PEM_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  MachineConfig: new Set(["ca.crt", "ca.key", "logging.destinations.*.ca"]),
  ClusterConfig: new Set([
    "ca.crt",
    "ca.key",
    "aggregatorCA.crt",
    "aggregatorCA.key",
    "etcd.ca.crt",
    "etcd.ca.key",
    "serviceAccount.key",
  ]),
  TrustedKeysConfig: new Set(["keys.*.publicKey"]),
  TrustedRootsConfig: new Set(["certificates"]),
};

/**
 * Every PEM block in a config: the CA pairs, trust bundles, signing keys, and any certificate or
 * key pasted into files, manifests or kubelet settings, since a weak or leaked key there is as bad
 * as one in a CA field. Built once per file and shared by the rules.
 */
export function pemInventory(parsed: ParsedConfig): PemEntry[] {
  const entries: PemEntry[] = [];
  for (const document of parsed.documents) {
    walk(document, [], (path, text) => {
      const blocks = [...text.matchAll(BLOCK)];
      const trustBundle =
        document.kind === "TrustedRootsConfig" ||
        (document.kind === "MachineConfig" && path[0] === "logging");
      if (blocks.length === 0) {
        if (isPemField(document.kind, path)) {
          const reason = text.includes("-----BEGIN ")
            ? "the PEM block is not terminated"
            : "it holds no PEM block";
          entries.push({
            document,
            path,
            block: 1,
            blocks: 1,
            label: "",
            trustBundle,
            content: { kind: "unreadable", reason },
          });
        }
        return;
      }
      blocks.forEach((match, i) => {
        const label = match[1]!;
        entries.push({
          document,
          path,
          block: i + 1,
          blocks: blocks.length,
          label,
          trustBundle,
          content: readBlock(label, match[0]),
        });
      });
    });
  }
  return entries;
}

function walk(value: unknown, path: ConfigPath, visit: (path: ConfigPath, text: string) => void): void {
  if (typeof value === "string") {
    visit(path, value);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walk(item, [...path, i], visit);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (path.length === 0 && HEADER_KEYS.has(key)) continue;
      walk(item, [...path, key], visit);
    }
  }
}

function isPemField(kind: string, path: ConfigPath): boolean {
  const pattern = path.map((segment) => (typeof segment === "number" ? "*" : segment)).join(".");
  return PEM_FIELDS[kind]?.has(pattern) ?? false;
}

function readBlock(label: string, text: string): PemContent {
  try {
    if (label === "CERTIFICATE") {
      const node = new X509Certificate(text);
      return {
        kind: "certificate",
        info: inspectCertificate(text),
        key: keyFacts(node.publicKey),
        signatureHash: signatureHash(text),
        fingerprint: node.fingerprint256,
      };
    }
    if (label.endsWith("PRIVATE KEY") && label !== "ENCRYPTED PRIVATE KEY") {
      return { kind: "private-key", key: keyFacts(createPublicKey(createPrivateKey(text))) };
    }
    if (label === "PUBLIC KEY" || label === "RSA PUBLIC KEY") {
      return { kind: "public-key", key: keyFacts(createPublicKey(text)) };
    }
    return { kind: "other" };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      kind: "unreadable",
      reason: message.replace(/^error:[0-9A-F]+:/, "").trim() || "it does not parse",
    };
  }
}
