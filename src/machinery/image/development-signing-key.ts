import { DEVELOPMENT_SIGNING_KEY_NAME, isDevelopmentKeyName } from "../audit/extension-rules.ts";
import { type ImageSigningKey, parseImageSigningKey } from "./image-signing-key.ts";

/*
 * ============================================================================================
 *  THIS PRIVATE KEY IS PUBLIC. IT IS COMMITTED TO THE REPOSITORY ON PURPOSE.
 *
 *  `stelectl image build` signs with it when it is given no --signing-key, so that a developer's
 *  build is signed and verifiable the same way a release is, without anyone handling a secret.
 *  Anyone can sign anything with it: a signature by this key proves NOTHING about who built an
 *  image. `stelectl image verify` and `stelectl audit` flag it; never trust it in production.
 * ============================================================================================
 */
const DEVELOPMENT_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEdhS5bk2+rN9IWNNU1aauC3MA2ua/39SAsg8LsmlaEx
-----END PRIVATE KEY-----
`;

/**
 * The development key's public half (PEM), for a test config's TrustedKeysConfig. Published like
 * the private half; `stelectl audit` flags a TrustedKeysConfig that lists it by name.
 */
export const DEVELOPMENT_SIGNING_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEABX38woXTaR/5tuJDaPAQRX6XOYPUq4QbmmVWijxVNwU=
-----END PUBLIC KEY-----
`;

/** The development key's id (sha256 of its raw public key): how verify recognises it whatever its name. */
export const DEVELOPMENT_SIGNING_KEY_ID = "faa34aa96271fa2d4b4326ea81b351997d408015078175d028b3f5308637c9e3";

/** The name the image builder signs under with the development key (the audit module's name, reused). */
export { DEVELOPMENT_SIGNING_KEY_NAME };

/**
 * The fixed, published Ed25519 key pair that images are signed with when the build is given no
 * key. Its private half is in this file, in the open: see the warning above.
 */
export function developmentSigningKey(): ImageSigningKey {
  return parseImageSigningKey(DEVELOPMENT_PRIVATE_KEY_PEM, "the development key");
}

/**
 * Whether a signer is a development key: the published key itself (by id, whatever it is named)
 * or any key whose name says it is for development or tests (the audit rule's words).
 */
export function isDevelopmentSigner(signer: { name: string; keyId: string }): boolean {
  return signer.keyId === DEVELOPMENT_SIGNING_KEY_ID || isDevelopmentKeyName(signer.name);
}
