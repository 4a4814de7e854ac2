/**
 * A PEM private key block of any kind (PKCS#8, RSA, EC, OPENSSH, ENCRYPTED). The body is matched
 * lazily up to the matching END line, across real newlines and JSON-escaped ones alike; a block
 * without its END line is masked to the end of the text, since the rest is key material.
 */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** Base64 of a PEM (it begins "LS0tLS1CRUdJTi", which is "-----BEGIN"), as Talos-style configs embed keys. */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g;

/** A Kubernetes bootstrap token (`[a-z0-9]{6}.[a-z0-9]{16}`), also the shape of Stele's machine token. */
const BOOTSTRAP_TOKEN = /(?<![a-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![a-z0-9])/g;

/** An HTTP bearer credential of any shape. */
const BEARER = /\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;

/** Names of fields that hold secrets: `token`, `key`, `secret`, `password` and names ending in them. */
const SECRET_NAME = "[A-Za-z0-9_.-]*?(?:token|key|secret|password)s?";

/** A YAML `name: value` line whose name is a {@link SECRET_NAME}; `$1` keeps the indentation and name. */
const YAML_SECRET_LINE = new RegExp(String.raw`^(\s*(?:-\s+)?["']?${SECRET_NAME}["']?\s*:)(.*)$`, "i");

/** A JSON `"name": "value"` pair whose name is a {@link SECRET_NAME}. */
const JSON_SECRET_PAIR = new RegExp(String.raw`("${SECRET_NAME}"\s*:\s*)"(?:[^"\\]|\\.)*"`, "gi");

const MASK = "[redacted]";

/**
 * Masks what must never reach a log: PEM private key blocks (also base64-encoded, as configs
 * carry them), bootstrap-style tokens `abcdef.0123456789abcdef`, bearer credentials, and the
 * values of YAML lines and JSON pairs named `token`, `key`, `secret`, `password` (or ending so),
 * including a YAML block value (`key: |`) and a nested mapping under such a name. It errs on the
 * side of masking: a lost public value costs a reader little, a leaked key costs the cluster.
 *
 * It is a safety net, not the defence: it sees one message at a time, so a key printed line by
 * line in separate messages shows only its BEGIN line masked. Machined must not print secrets in
 * the first place; see the README for why service output is not passed through it.
 */
export function redactSecrets(line: string): string {
  let out = line;
  if (out.includes("PRIVATE KEY-----")) out = out.replace(PEM_PRIVATE_KEY, "[redacted private key]");
  if (out.includes("LS0tLS1CRUdJTi")) out = out.replace(BASE64_PEM, maskBase64PrivateKey);
  out = out.replace(BOOTSTRAP_TOKEN, "[redacted token]");
  if (/bearer/i.test(out)) out = out.replace(BEARER, `$1${MASK}`);
  if (out.includes(":")) {
    out = out.replace(JSON_SECRET_PAIR, `$1"${MASK}"`);
    out = redactYamlLines(out);
  }
  return out;
}

/** Masks a base64 PEM if it decodes to a private key; certificates stay readable. */
function maskBase64PrivateKey(encoded: string): string {
  return Buffer.from(encoded, "base64").toString("latin1").includes("PRIVATE KEY") ? MASK : encoded;
}

/**
 * Masks the values of secret-named YAML lines. An empty value or a block indicator (`|`, `>-` …)
 * means the value follows on more-indented lines: those are masked too.
 */
function redactYamlLines(text: string): string {
  const lines = text.split("\n");
  let blockIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === "" || indent > blockIndent) {
        if (line.trim() !== "") lines[i] = `${line.slice(0, indent)}${MASK}`;
        continue;
      }
      blockIndent = -1;
    }
    const match = YAML_SECRET_LINE.exec(line);
    if (!match) continue;
    const value = match[2]!.trim();
    if (value === "" || /^[|>][-+0-9]*$/.test(value)) {
      blockIndent = indent;
      continue;
    }
    if (value !== MASK && value !== `"${MASK}"`) lines[i] = `${match[1]} ${MASK}`;
  }
  return lines.join("\n");
}
