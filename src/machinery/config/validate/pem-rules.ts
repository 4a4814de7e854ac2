import type { ConfigPath } from "../config-path.ts";
import { formatConfigPath } from "../config-path.ts";
import { findDocument, findDocuments } from "../document-ref.ts";
import type { ConfigDocument } from "../schema/config-kinds.ts";
import {
  keyAlgorithmName,
  type PemProblem,
  pemBlocks,
  readCertificate,
  readPrivateKey,
  readPublicKey,
  validityProblems,
} from "./pem-checks.ts";
import type { ValidationContext, ValidationRule } from "./validation-context.ts";

/** A certificate authority field pair: where it is and what it is called in messages. */
interface CaField {
  document: ConfigDocument;
  path: ConfigPath;
  value: { crt: string; key?: string | undefined };
}

function caFields(context: ValidationContext): CaField[] {
  const fields: CaField[] = [];
  const machine = context.parsed.machineConfig;
  fields.push({ document: machine, path: ["ca"], value: machine.ca });
  const cluster = findDocument(context.parsed.documents, "ClusterConfig");
  if (cluster) {
    fields.push({ document: cluster, path: ["ca"], value: cluster.ca });
    fields.push({ document: cluster, path: ["aggregatorCA"], value: cluster.aggregatorCA });
    fields.push({ document: cluster, path: ["etcd", "ca"], value: cluster.etcd.ca });
  }
  return fields;
}

function report(
  context: ValidationContext,
  document: ConfigDocument,
  path: ConfigPath,
  problem: PemProblem,
): void {
  context.report(document, {
    severity: problem.severity,
    path,
    message: problem.message,
    hint: problem.hint,
  });
}

/** Every CA certificate parses, is a CA, is in its validity period; its key parses and matches it. */
export const certificateAuthorityRule: ValidationRule = {
  id: "ca-pairs",
  description:
    "Each certificate authority (`ca`, `aggregatorCA`, `etcd.ca`) holds one X.509 CA certificate that is currently valid, and its key, where present, parses and matches that certificate.",
  check(context) {
    for (const field of caFields(context)) {
      const crtPath = [...field.path, "crt"];
      const { certificate, problem } = readCertificate(field.value.crt);
      if (problem) report(context, field.document, crtPath, problem);
      if (certificate) {
        if (!certificate.ca) {
          report(context, field.document, crtPath, {
            severity: "error",
            message: `expected a CA certificate (basicConstraints CA:TRUE), got one for ${JSON.stringify(certificate.subject.replaceAll("\n", ", "))}`,
            hint: "this field takes the certificate authority itself, not a certificate it issued",
          });
        }
        for (const p of validityProblems(certificate, context.now))
          report(context, field.document, crtPath, p);
      }
      if (field.value.key === undefined) continue;
      const keyPath = [...field.path, "key"];
      const { key, problem: keyProblem } = readPrivateKey(field.value.key);
      if (keyProblem) report(context, field.document, keyPath, keyProblem);
      if (key && certificate && !certificate.checkPrivateKey(key)) {
        report(context, field.document, keyPath, {
          severity: "error",
          message: `does not match the certificate in ${formatConfigPath(crtPath)}`,
          hint: "take the certificate and the key of this CA from the same secrets bundle",
        });
      }
    }
  },
};

/** The service-account signing key parses and is of a kind Kubernetes can sign tokens with. */
export const serviceAccountKeyRule: ValidationRule = {
  id: "service-account-key",
  description:
    "The service-account key parses and is an ECDSA or RSA (at least 2048 bits) key: kube-apiserver cannot sign tokens with Ed25519.",
  check(context) {
    const cluster = findDocument(context.parsed.documents, "ClusterConfig");
    const pem = cluster?.serviceAccount.key;
    if (!cluster || pem === undefined) return;
    const path = ["serviceAccount", "key"];
    const { key, problem } = readPrivateKey(pem);
    if (problem) {
      report(context, cluster, path, problem);
      return;
    }
    const type = key?.asymmetricKeyType;
    const bits = key?.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key && type !== "ec" && !(type === "rsa" && bits >= 2048)) {
      report(context, cluster, path, {
        severity: "error",
        message: `expected an ECDSA or RSA (2048 bits or more) key, got ${keyAlgorithmName(key)}`,
        hint: "kube-apiserver signs service-account tokens with ECDSA or RSA only: `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`",
      });
    }
  },
};

/** Certificate bundles (TrustedRootsConfig, log receiver CAs) hold only certificates that parse. */
export const certificateBundleRule: ValidationRule = {
  id: "certificate-bundles",
  description:
    "Certificate bundles (`TrustedRootsConfig.certificates`, `logging.destinations[].ca`) hold one or more CERTIFICATE blocks that all parse; an expired or non-CA root is reported as a warning.",
  check(context) {
    for (const roots of findDocuments(context.parsed.documents, "TrustedRootsConfig")) {
      checkBundle(context, roots, ["certificates"], roots.certificates);
    }
    const machine = context.parsed.machineConfig;
    machine.logging.destinations.forEach((destination, i) => {
      if (destination.ca !== undefined)
        checkBundle(context, machine, ["logging", "destinations", i, "ca"], destination.ca);
    });
  },
};

function checkBundle(
  context: ValidationContext,
  document: ConfigDocument,
  path: ConfigPath,
  text: string,
): void {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    const { problem } = readCertificate(text);
    if (problem) report(context, document, path, problem);
    return;
  }
  blocks.forEach((block, i) => {
    const { certificate, problem } = readCertificate(block.text);
    const where = blocks.length > 1 ? `block ${i + 1}: ` : "";
    if (problem) {
      report(context, document, path, { ...problem, message: `${where}${problem.message}` });
      return;
    }
    if (!certificate) return;
    if (!certificate.ca) {
      report(context, document, path, {
        severity: "warning",
        message: `${where}expected a CA certificate, got one without CA:TRUE for ${JSON.stringify(certificate.subject.replaceAll("\n", ", "))}`,
        hint: "a trust bundle normally holds certificate authorities, not leaf certificates",
      });
    }
    for (const p of validityProblems(certificate, context.now, { expiredIs: "warning" })) {
      report(context, document, path, { ...p, message: `${where}${p.message}` });
    }
  });
}

/** Signing keys are Ed25519 or ECDSA P-256 public keys. */
export const trustedKeysRule: ValidationRule = {
  id: "trusted-keys",
  description: "Each key of the TrustedKeysConfig is an Ed25519 or ECDSA P-256 public key in PEM form.",
  check(context) {
    const trusted = findDocument(context.parsed.documents, "TrustedKeysConfig");
    trusted?.keys.forEach((entry, i) => {
      const path = ["keys", i, "publicKey"];
      const { key, problem } = readPublicKey(entry.publicKey);
      if (problem) report(context, trusted, path, problem);
      if (!key) return;
      const ok =
        key.asymmetricKeyType === "ed25519" ||
        (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1");
      if (!ok) {
        report(context, trusted, path, {
          severity: "error",
          message: `expected an Ed25519 or ECDSA P-256 public key, got ${keyAlgorithmName(key)}`,
          hint: "image and extension signatures are verified with Ed25519 or ECDSA P-256 keys only",
        });
      }
    });
  },
};
