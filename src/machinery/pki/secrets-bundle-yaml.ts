import { CONFIG_API_VERSION } from "../constants.ts";
import { isSteleError } from "../errors.ts";
import { describeKey } from "./keys.ts";
import { readCertificate, readPrivateKey } from "./read-pem.ts";
import {
  SECRETS_BUNDLE_KIND,
  type SecretsBundle,
  type SecretsBundleDocument,
  secretsBundleSchema,
} from "./secrets-bundle-schema.ts";
import {
  formatPath,
  issuesFromZod,
  type LoadedYaml,
  loadYaml,
  sortIssues,
  toYaml,
  type YamlIssue,
  yamlIssuesError,
} from "./yaml-document.ts";

const WHAT = "Secrets bundle";
const HINT =
  "Fix the fields named above, or restore the bundle from your backup; `stelectl gen secrets` makes a new one";

/**
 * Reads a secrets bundle written by `serializeSecretsBundle` (or by hand). Every problem is
 * reported at once, each with `file:line:column path`: YAML syntax, unknown or missing fields,
 * malformed secrets and tokens, unreadable PEM, a CA certificate that is not a CA, a key that
 * does not match its certificate, and a service-account key kube-apiserver cannot use.
 * Throws SteleError("invalid-config").
 */
export function parseSecretsBundle(text: string, options: { file: string }): SecretsBundle {
  const loaded = loadYaml(text, { file: options.file, what: WHAT, hint: HINT });
  const value = loaded.value;
  if (value === null || value === undefined) {
    throw yamlIssuesError(
      WHAT,
      options.file,
      [{ line: 1, column: 1, path: "", message: "the file is empty" }],
      HINT,
    );
  }
  // Another kind of document (a machine config given by mistake) is one problem, not twenty missing fields.
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind === "string" && kind !== SECRETS_BUNDLE_KIND) {
    const issue = {
      ...loaded.locate(["kind"]),
      path: "kind",
      message: `expected kind ${SECRETS_BUNDLE_KIND}, got ${kind}`,
    };
    throw yamlIssuesError(
      WHAT,
      options.file,
      [issue],
      "Pass the secrets bundle that `stelectl gen secrets` wrote",
    );
  }
  const result = secretsBundleSchema.safeParse(value);
  // Key material is checked even when the structure is wrong, so that one run reports everything.
  const issues = [
    ...(result.success ? [] : issuesFromZod(result.error, loaded)),
    ...checkKeyMaterial(value, loaded),
  ];
  if (!result.success || issues.length > 0)
    throw yamlIssuesError(WHAT, options.file, sortIssues(issues), HINT);
  const { apiVersion: _apiVersion, kind: _kind, ...bundle } = result.data;
  return bundle;
}

/** Writes a secrets bundle as one YAML document, PEM as block literals. */
export function serializeSecretsBundle(bundle: SecretsBundle): string {
  const document: SecretsBundleDocument = {
    apiVersion: CONFIG_API_VERSION,
    kind: SECRETS_BUNDLE_KIND,
    cluster: bundle.cluster,
    secrets: bundle.secrets,
    trustd: bundle.trustd,
    certs: bundle.certs,
  };
  return toYaml(document);
}

const CA_NAMES = ["os", "kubernetes", "etcd", "aggregator"] as const;

/** The string at a path of an unvalidated document, or undefined; the schema reports the rest. */
function stringAt(value: unknown, path: readonly string[]): string | undefined {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return typeof current === "string" && current !== "" ? current : undefined;
}

function checkKeyMaterial(document: unknown, loaded: LoadedYaml): YamlIssue[] {
  const issues: YamlIssue[] = [];
  const problem = (path: string[], message: string) =>
    issues.push({ ...loaded.locate(path), path: formatPath(path), message });
  const read = <T>(path: string[], reader: (text: string) => T): T | undefined => {
    const text = stringAt(document, path);
    if (text === undefined) return undefined;
    try {
      return reader(text);
    } catch (error) {
      if (!isSteleError(error)) throw error;
      problem(
        path,
        error.message.replace(/^(\w)/, (c) => c.toLowerCase()),
      );
      return undefined;
    }
  };
  for (const name of CA_NAMES) {
    const crtPath = ["certs", name, "crt"];
    const keyPath = ["certs", name, "key"];
    const certificate = read(crtPath, (text) => readCertificate(text, { label: "this field" }));
    const key = read(keyPath, (text) => readPrivateKey(text, { label: "this field" }));
    if (certificate && !certificate.node.ca)
      problem(crtPath, "the certificate is not a CA (no basicConstraints CA:TRUE)");
    if (certificate && key && !certificate.node.checkPrivateKey(key)) {
      problem(keyPath, `the private key does not match the certificate in certs.${name}.crt`);
    }
  }
  const serviceAccountPath = ["certs", "serviceAccount", "key"];
  const serviceAccountKey = read(serviceAccountPath, (text) => readPrivateKey(text, { label: "this field" }));
  if (serviceAccountKey) {
    const { algorithm } = describeKey(serviceAccountKey);
    if (!algorithm.startsWith("ecdsa-") && algorithm !== "rsa") {
      problem(
        serviceAccountPath,
        `kube-apiserver signs service-account tokens with ECDSA or RSA keys only, got ${algorithm}`,
      );
    }
  }
  return issues;
}
