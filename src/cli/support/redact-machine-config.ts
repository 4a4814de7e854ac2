import { type ConfigDocument, parseConfig, serializeConfig } from "../../machinery/config/index.ts";

/** What every secret of a redacted machine config is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Fields of the config schema that hold secrets: private keys (`key` of every certificate pair
 * and of the service account), the trustd and bootstrap tokens, the cluster secret and the
 * secretbox encryption secret. Named by field, because a secret has no shape to recognise.
 */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "key",
  "token",
  "bootstrapToken",
  "secret",
  "secretboxEncryptionSecret",
]);

/** Values that are secrets wherever they appear (a key pasted into a file's content, a join token). */
const SECRET_VALUE = /PRIVATE KEY|[a-z0-9]{6}\.[a-z0-9]{16}/;

/**
 * A machine config as a support bundle may carry it: parsed with parseConfig, every secret field
 * replaced with "[redacted]", and any other string that holds a private key or a join token
 * redacted too, as a second net for secrets put where the schema does not expect them (file
 * contents, extra arguments). Throws the ConfigError of parseConfig when the text does not parse:
 * a config that is not understood cannot be known to be clean, so the caller leaves it out.
 */
export function redactMachineConfig(text: string): string {
  const parsed = parseConfig(text, { file: "machineconfig.yaml" });
  const documents = parsed.documents.map((document) => redactValue(document) as ConfigDocument);
  return serializeConfig(documents, { defaults: "keep" });
}

function redactValue(value: unknown, field?: string): unknown {
  if (typeof value === "string") {
    return (field !== undefined && SECRET_FIELDS.has(field)) || SECRET_VALUE.test(value) ? REDACTED : value;
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, key)]));
  }
  return value;
}
