import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { describeValue } from "../describe-value.ts";

/** A PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`) and its full text. */
export interface PemBlock {
  label: string;
  text: string;
}

/** A finding about a PEM value, ready to become an issue on the field holding it. */
export interface PemProblem {
  severity: "error" | "warning";
  message: string;
  hint?: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

const PASTE_HINT = "paste the PEM text as a YAML block scalar: `crt: |` followed by the PEM lines, indented";
const DAMAGED_HINT =
  "the PEM text is damaged (a line missing or changed?): copy it again from the secrets bundle";

/** The PEM blocks in a text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
}

function article(label: string): string {
  return /^[AEIOU]/.test(label) ? "an" : "a";
}

/** Reads the single certificate of a `crt` field, or explains why it cannot be read. */
export function readCertificate(text: string): { certificate?: X509Certificate; problem?: PemProblem } {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    return {
      problem: {
        severity: "error",
        message: `expected a PEM certificate (-----BEGIN CERTIFICATE-----), got ${describeValue(text)}`,
        hint: PASTE_HINT,
      },
    };
  }
  const first = blocks[0]!;
  if (first.label !== "CERTIFICATE") {
    return {
      problem: {
        severity: "error",
        message: `expected a CERTIFICATE block, got ${article(first.label)} ${first.label} block`,
        hint: first.label.includes("PRIVATE KEY") ? "crt and key look swapped" : PASTE_HINT,
      },
    };
  }
  if (blocks.length > 1) {
    return {
      problem: {
        severity: "error",
        message: `expected one certificate, got ${blocks.length} PEM blocks`,
        hint: "keep only the CA certificate here; extra roots belong in a TrustedRootsConfig",
      },
    };
  }
  try {
    return { certificate: new X509Certificate(first.text) };
  } catch (error) {
    return {
      problem: {
        severity: "error",
        message: `the certificate does not parse: ${detail(error)}`,
        hint: DAMAGED_HINT,
      },
    };
  }
}

/** Reads a private key field, or explains why it cannot be read. */
export function readPrivateKey(text: string): { key?: KeyObject; problem?: PemProblem } {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    return {
      problem: {
        severity: "error",
        message: `expected a PEM private key (-----BEGIN PRIVATE KEY-----), got ${describeValue(text)}`,
        hint: PASTE_HINT.replace("crt", "key"),
      },
    };
  }
  const first = blocks[0]!;
  if (first.label === "ENCRYPTED PRIVATE KEY") {
    return {
      problem: {
        severity: "error",
        message: "expected an unencrypted private key, got an ENCRYPTED PRIVATE KEY block",
        hint: "decrypt it first: `openssl pkey -in encrypted.pem -out key.pem`",
      },
    };
  }
  if (!first.label.endsWith("PRIVATE KEY")) {
    return {
      problem: {
        severity: "error",
        message: `expected a PRIVATE KEY block, got ${article(first.label)} ${first.label} block`,
        hint: first.label === "CERTIFICATE" ? "crt and key look swapped" : PASTE_HINT.replace("crt", "key"),
      },
    };
  }
  if (blocks.length > 1) {
    return {
      problem: { severity: "error", message: `expected one private key, got ${blocks.length} PEM blocks` },
    };
  }
  try {
    return { key: createPrivateKey(first.text) };
  } catch (error) {
    return {
      problem: {
        severity: "error",
        message: `the private key does not parse: ${detail(error)}`,
        hint: DAMAGED_HINT,
      },
    };
  }
}

/** Reads a public key field, or explains why it cannot be read. */
export function readPublicKey(text: string): { key?: KeyObject; problem?: PemProblem } {
  const blocks = pemBlocks(text);
  const first = blocks[0];
  if (first?.label !== "PUBLIC KEY") {
    return {
      problem: {
        severity: "error",
        message: first
          ? `expected a PUBLIC KEY block, got ${article(first.label)} ${first.label} block`
          : `expected a PEM public key (-----BEGIN PUBLIC KEY-----), got ${describeValue(text)}`,
        hint: first?.label.includes("PRIVATE")
          ? "never put a private key here: export the public half with `openssl pkey -in key.pem -pubout`"
          : "export the public key with `openssl pkey -in key.pem -pubout`",
      },
    };
  }
  try {
    return { key: createPublicKey(first.text) };
  } catch (error) {
    return {
      problem: {
        severity: "error",
        message: `the public key does not parse: ${detail(error)}`,
        hint: DAMAGED_HINT,
      },
    };
  }
}

/** Time-validity findings for a certificate: expired is an error, not yet valid a warning. */
export function validityProblems(
  certificate: X509Certificate,
  now: Date,
  options: { expiredIs?: "error" | "warning" } = {},
): PemProblem[] {
  const problems: PemProblem[] = [];
  if (certificate.validToDate.getTime() < now.getTime()) {
    problems.push({
      severity: options.expiredIs ?? "error",
      message: `the certificate expired on ${certificate.validToDate.toISOString()}`,
      hint: "issue a new one and roll it out: every certificate signed by an expired CA stops working",
    });
  } else if (certificate.validFromDate.getTime() > now.getTime()) {
    problems.push({
      severity: "warning",
      message: `the certificate is not valid before ${certificate.validFromDate.toISOString()}`,
      hint: "check the clock of the machine that made it, and of this one",
    });
  }
  return problems;
}

/** A short name of a key's algorithm for messages ("Ed25519", "ECDSA P-384", "RSA 2048"). */
export function keyAlgorithmName(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return "Ed25519";
    case "ec":
      return `ECDSA ${curveName(details.namedCurve)}`;
    case "rsa":
    case "rsa-pss":
      return `RSA ${details.modulusLength ?? ""}`.trim();
    default:
      return String(key.asymmetricKeyType ?? "unknown").toUpperCase();
  }
}

function curveName(curve: string | undefined): string {
  const names: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
  return curve ? (names[curve] ?? curve) : "";
}

function detail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error:[0-9A-F]+:/, "").trim() || "unreadable";
}
