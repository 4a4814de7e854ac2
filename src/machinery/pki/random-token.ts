import { randomBytes } from "node:crypto";

/** The characters of bootstrap and join tokens: what Kubernetes bootstrap tokens allow. */
const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * The form of a Kubernetes bootstrap token (`[a-z0-9]{6}.[a-z0-9]{16}`), which trustd's join
 * token shares: the first part is a public id, the second the secret.
 */
export const TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/**
 * A random string over `alphabet`, from `crypto.randomBytes`. Bytes that would make `byte % n`
 * favour the first characters are rejected and redrawn (rejection sampling), so each character is
 * exactly uniform: a plain modulo would make `a`–`d` 14% likelier than the rest with 36 symbols.
 */
export function randomString(length: number, alphabet: string = TOKEN_ALPHABET): string {
  const n = alphabet.length;
  if (n < 2 || n > 256)
    throw new RangeError(`randomString: alphabet must have 2 to 256 characters, got ${n}`);
  const limit = 256 - (256 % n);
  let text = "";
  while (text.length < length) {
    for (const byte of randomBytes(Math.max(16, (length - text.length) * 2))) {
      if (byte < limit) text += alphabet[byte % n];
      if (text.length === length) break;
    }
  }
  return text;
}

/** A fresh token of the `TOKEN_PATTERN` form, for Kubernetes bootstrap and trustd joins. */
export function generateToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}
