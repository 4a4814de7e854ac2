import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { redactSecrets } from "./redact-secrets.ts";

const PEM_KINDS = ["", "RSA ", "EC ", "ENCRYPTED ", "OPENSSH "] as const;
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A PEM private key block with a random body of 64-character lines, as keys are printed. */
const pemKey = fc
  .record({
    kind: fc.constantFrom(...PEM_KINDS),
    body: fc.array(fc.string({ unit: fc.constantFrom(...BASE64), minLength: 64, maxLength: 64 }), {
      minLength: 1,
      maxLength: 12,
    }),
    newline: fc.constantFrom("\n", "\r\n", "\\n"), // real, CRLF, or JSON-escaped inside a message
  })
  .map(({ kind, body, newline }) => ({
    body,
    text: [`-----BEGIN ${kind}PRIVATE KEY-----`, ...body, `-----END ${kind}PRIVATE KEY-----`].join(newline),
  }));

const token = fc.stringMatching(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);

/** Text around a secret; it ends and starts with a separator, as a token is a token only when delimited. */
const around = fc
  .tuple(fc.string({ maxLength: 40 }), fc.constantFrom(" ", "\n", "=", ":", '"', "'", "/", "(", ","))
  .map(([text, separator]) => text + separator);

test("property: a PEM private key never survives, whatever surrounds it", () => {
  fc.assert(
    fc.property(around, pemKey, around, (before, key, after) => {
      const out = redactSecrets(before + key.text + [...after].reverse().join(""));
      for (const line of key.body) assert.ok(!out.includes(line), `key material survived: ${out}`);
    }),
  );
});

test("property: a bootstrap token never survives, whatever surrounds it", () => {
  fc.assert(
    fc.property(around, token, around, (before, secret, after) => {
      const out = redactSecrets(before + secret + [...after].reverse().join(""));
      assert.ok(!out.includes(secret), `token survived: ${out}`);
    }),
  );
});

test("property: a base64-encoded PEM private key (as configs carry keys) never survives", () => {
  fc.assert(
    fc.property(pemKey, fc.constantFrom("key: ", "crt: ", '{"value":"', "x "), (key, prefix) => {
      const encoded = Buffer.from(key.text.replaceAll("\\n", "\n")).toString("base64");
      const out = redactSecrets(prefix + encoded);
      assert.ok(!out.includes(encoded.slice(20, 60)), `encoded key survived: ${out}`);
    }),
  );
});

test("masks real keys Node generates, in every encoding it writes", () => {
  const keys = [
    generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }),
    generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "sec1", format: "pem" }),
    generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem" }),
  ];
  for (const key of keys) {
    const body = String(key).split("\n")[1]!;
    assert.ok(!redactSecrets(`loaded ${key} ok`).includes(body));
    assert.ok(!redactSecrets(JSON.stringify({ msg: "config", key: String(key) })).includes(body));
  }
});

const cases: Array<[string, string, string]> = [
  ["a YAML token line", "  token: abc123xyz", "  token: [redacted]"],
  ["a YAML key line", "    key: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t", "    key: [redacted]"],
  ["a camelCase secret name", "bootstrapToken: 'abc'", "bootstrapToken: [redacted]"],
  ["a list item", "- key: hunter2", "- key: [redacted]"],
  [
    "a block value",
    "ca:\n  crt: AAAA\n  key: |\n    line1\n    line2\n  next: 1",
    "ca:\n  crt: AAAA\n  key: |\n    [redacted]\n    [redacted]\n  next: 1",
  ],
  [
    "a nested mapping",
    "secrets:\n  a: 1\n  b: 2\nother: 3",
    "secrets:\n  [redacted]\n  [redacted]\nother: 3",
  ],
  ["a JSON pair", '{"token":"s3cr\\"et","user":"x"}', '{"token":"[redacted]","user":"x"}'],
  ["a bearer credential", "Authorization: Bearer eyJhbGciOi.J9.x", "Authorization: Bearer [redacted]"],
  ["a bootstrap token in prose", "joined with abcdef.0123456789abcdef ok", "joined with [redacted token] ok"],
];
for (const [what, input, expected] of cases) {
  test(`masks ${what}`, () => {
    assert.equal(redactSecrets(input), expected);
  });
}

const harmless = [
  "service etcd started (pid 123)",
  "2025-01-01T00:00:00.000Z machined.controllerruntime reconciled 3 resources",
  "crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t",
  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
  "failed to read key: file not found",
  "listening on 10.0.0.1:50000",
];
for (const line of harmless) {
  test(`leaves ${JSON.stringify(line.slice(0, 40))} alone`, () => {
    assert.equal(redactSecrets(line), line);
  });
}
