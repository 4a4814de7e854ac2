import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { SteleError } from "../errors.ts";
import { x509 } from "./x509.ts";

/** Options shared by every function that reads PEM text a user supplied. */
export interface PemLabelOptions {
  /**
   * Where the PEM came from, named in error messages: a flag (`--ca-cert`), a file, or a config
   * path (`certs.os.crt`). Without it, messages say "the input".
   */
  label?: string;
}

/** A certificate parsed twice: by Node (checks against OpenSSL) and by @peculiar/x509 (structure). */
export interface ParsedCertificate {
  /** Node's view: OpenSSL-backed checks (key match, issuer, signature) and key details. */
  node: X509Certificate;
  /** @peculiar/x509's view: names, extensions and the signing API. */
  x509: x509.X509Certificate;
  /** The PEM of the first certificate, normalised (one block, trailing newline). */
  pem: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n?([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;

interface PemBlock {
  type: string;
  body: string;
}

function blocksOf(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ type: m[1]!, body: m[2]! }));
}

function invalidPem(
  what: string,
  label: string | undefined,
  detail: string,
  hint: string,
  cause?: unknown,
): SteleError {
  return new SteleError(
    "invalid-argument",
    `${what} in ${label ?? "the input"} is not valid PEM: ${detail}`,
    hint,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Finds the first PEM block whose type is one of `types`, explaining precisely what is wrong
 * otherwise: no PEM at all (with a word on base64-encoded PEM, as talosconfig stores it), a block
 * of another type (a key where a certificate was expected), or a body that is not base64.
 */
function findBlock(
  text: unknown,
  what: string,
  types: readonly string[],
  label: string | undefined,
  hint: string,
): PemBlock {
  if (typeof text !== "string") {
    throw invalidPem(what, label, `expected PEM text, got ${text === null ? "null" : typeof text}`, hint);
  }
  const blocks = blocksOf(text);
  if (blocks.length === 0) {
    const trimmed = text.trim();
    if (trimmed === "") throw invalidPem(what, label, "it is empty", hint);
    if (
      /^[A-Za-z0-9+/=\s]+$/.test(trimmed) &&
      Buffer.from(trimmed, "base64").toString("latin1").includes("-----BEGIN ")
    ) {
      throw invalidPem(
        what,
        label,
        "it is base64-encoded PEM",
        "Decode it first (base64 -d) and pass the PEM text",
      );
    }
    const begin = trimmed.includes("-----BEGIN ")
      ? "an unterminated or malformed block"
      : "no -----BEGIN----- line";
    throw invalidPem(what, label, `found ${begin} (expected -----BEGIN ${types[0]}-----)`, hint);
  }
  const block = blocks.find((b) => types.includes(b.type));
  if (!block) {
    throw invalidPem(
      what,
      label,
      `found a ${blocks[0]!.type} block where a ${types.join(" or ")} block was expected`,
      hint,
    );
  }
  if (!BASE64_BODY.test(block.body) || block.body.replace(/\s/g, "") === "") {
    throw invalidPem(what, label, `the ${block.type} block is not valid base64`, hint);
  }
  return block;
}

function toPem(type: string, body: string): string {
  const lines = body.replace(/\s/g, "").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}

/**
 * Parses PEM text holding an X.509 certificate (the first one if several are chained). Any
 * failure is a SteleError("invalid-argument") naming the label, e.g.
 * `Certificate in --ca-cert is not valid PEM: found a PRIVATE KEY block where a CERTIFICATE block was expected`.
 */
export function readCertificate(text: unknown, options: PemLabelOptions = {}): ParsedCertificate {
  const hint = "Pass the certificate as PEM text starting with -----BEGIN CERTIFICATE-----";
  const block = findBlock(text, "Certificate", ["CERTIFICATE"], options.label, hint);
  const pem = toPem("CERTIFICATE", block.body);
  try {
    return { node: new X509Certificate(pem), x509: new x509.X509Certificate(pem), pem };
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Certificate in ${options.label ?? "the input"} is not a valid X.509 certificate: ${messageOf(error)}`,
      "Check that the PEM was copied whole; `openssl x509 -noout -text -in <file>` shows what is wrong",
      { cause: error },
    );
  }
}

/** Block types Node's `createPrivateKey` reads: PKCS#8 (ours), and SEC1/PKCS#1 (company CAs). */
const PRIVATE_KEY_TYPES = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"];

/**
 * Parses PEM text holding an unencrypted private key: PKCS#8, which Stele writes, or SEC1 and
 * PKCS#1, which company CAs often hand out. An encrypted key is refused with a hint to decrypt
 * it, because a node cannot prompt for a passphrase.
 */
export function readPrivateKey(text: unknown, options: PemLabelOptions = {}): KeyObject {
  const hint = "Pass the private key as unencrypted PEM starting with -----BEGIN PRIVATE KEY-----";
  if (typeof text === "string" && /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new SteleError(
      "invalid-argument",
      `Private key in ${options.label ?? "the input"} is not valid PEM: it is encrypted`,
      "Decrypt it first: openssl pkey -in encrypted.pem -out key.pem",
    );
  }
  const block = findBlock(text, "Private key", PRIVATE_KEY_TYPES, options.label, hint);
  try {
    return createPrivateKey(toPem(block.type, block.body));
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Private key in ${options.label ?? "the input"} is not a valid private key: ${messageOf(error)}`,
      "Check that the PEM was copied whole; `openssl pkey -noout -in <file>` shows what is wrong",
      { cause: error },
    );
  }
}

/** Parses PEM text holding a public key (SubjectPublicKeyInfo), such as a CSR's key. */
export function readPublicKey(text: unknown, options: PemLabelOptions = {}): KeyObject {
  const hint = "Pass the public key as PEM starting with -----BEGIN PUBLIC KEY-----";
  const block = findBlock(text, "Public key", ["PUBLIC KEY"], options.label, hint);
  try {
    return createPublicKey(toPem(block.type, block.body));
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Public key in ${options.label ?? "the input"} is not a valid public key: ${messageOf(error)}`,
      hint,
      { cause: error },
    );
  }
}

/** Parses PEM text holding a PKCS#10 certificate signing request. */
export function readCertificateRequest(
  text: unknown,
  options: PemLabelOptions = {},
): x509.Pkcs10CertificateRequest {
  const hint = "Pass the request as PEM starting with -----BEGIN CERTIFICATE REQUEST-----";
  const block = findBlock(
    text,
    "Certificate request",
    ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"],
    options.label,
    hint,
  );
  try {
    return new x509.Pkcs10CertificateRequest(toPem("CERTIFICATE REQUEST", block.body));
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Certificate request in ${options.label ?? "the input"} is not a valid PKCS#10 request: ${messageOf(error)}`,
      hint,
      { cause: error },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
