/**
 * The one door to `@peculiar/x509`: it installs the Reflect metadata polyfill the library needs
 * before loading it, and points the library at Node's own WebCrypto (which has Ed25519 and
 * ECDSA), so every PKI module gets a ready library by importing this file instead.
 */
import "./reflect-metadata.ts";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

/** `@peculiar/x509`, polyfilled and bound to Node's WebCrypto: import it from here, never from the package. */
export { x509 };
