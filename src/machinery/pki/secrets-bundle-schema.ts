import { z } from "zod";
import { CONFIG_API_VERSION } from "../constants.ts";
import { TOKEN_PATTERN } from "./random-token.ts";

/** The kind of the secrets bundle document; a machine config loader refuses it. */
export const SECRETS_BUNDLE_KIND = "SecretsBundle";

// Error messages say what is expected and never echo the value: it is a secret, and errors are logged.
const secret32 = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, { error: "expected 32 random bytes in base64 (44 characters ending in =)" });
const token = z
  .string()
  .regex(TOKEN_PATTERN, { error: "expected a token of the form [a-z0-9]{6}.[a-z0-9]{16}" });
const pem = z.string().min(1, { error: "expected PEM text" });
const certificateAndKey = z.strictObject({ crt: pem, key: pem });

/**
 * The schema of the secrets bundle document (`stelectl gen secrets`): everything a cluster's
 * configs are generated from, and that must be kept to generate them again. Strict, so that a
 * misspelt field is an error and not a secret silently regenerated elsewhere. Pairs are checked to
 * match by `parseSecretsBundle`, which zod alone cannot do.
 */
export const secretsBundleSchema = z.strictObject({
  apiVersion: z.literal(CONFIG_API_VERSION, { error: `expected apiVersion ${CONFIG_API_VERSION}` }),
  kind: z.literal(SECRETS_BUNDLE_KIND, { error: `expected kind ${SECRETS_BUNDLE_KIND}` }),
  cluster: z.strictObject({
    id: secret32.describe("Identifies the cluster (discovery, etcd); random and unique, not secret"),
    secret: secret32.describe("Shared secret of the cluster's members (discovery encryption)"),
  }),
  secrets: z.strictObject({
    bootstrapToken: token.describe("Kubernetes bootstrap token, with which kubelets join"),
    secretboxEncryptionSecret: secret32.describe(
      "Key of the secretbox encryption at rest of Kubernetes Secrets",
    ),
  }),
  trustd: z.strictObject({
    token: token.describe("The token workers present to trustd to get their OS API certificate"),
  }),
  certs: z.strictObject({
    os: certificateAndKey.describe(
      "The OS API CA (apid, stelectl); Ed25519 unless a company CA was supplied",
    ),
    kubernetes: certificateAndKey.describe("The Kubernetes CA"),
    etcd: certificateAndKey.describe("The etcd CA"),
    aggregator: certificateAndKey.describe("The front-proxy CA of the API aggregation layer"),
    serviceAccount: z
      .strictObject({ key: pem })
      .describe("The key that signs service-account tokens (ECDSA or RSA)"),
  }),
});

/** The secrets bundle document as written in YAML, apiVersion and kind included. */
export type SecretsBundleDocument = z.infer<typeof secretsBundleSchema>;

/** A cluster's secrets: the bundle document without its apiVersion and kind. */
export type SecretsBundle = Omit<SecretsBundleDocument, "apiVersion" | "kind">;
