import { describeKey, type KeyDescription } from "./keys.ts";
import { type PemLabelOptions, readPrivateKey } from "./read-pem.ts";

/**
 * Reads what a private key is: algorithm and size. Bad PEM throws SteleError("invalid-argument")
 * naming `options.label`, so commands can check a `--ca-key` before they do anything with it.
 */
export function inspectPrivateKey(pem: string, options: PemLabelOptions = {}): KeyDescription {
  return describeKey(readPrivateKey(pem, options));
}
