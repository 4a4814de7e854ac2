import { sign } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isSteleError, SteleError } from "../errors.ts";
import { fileDigest } from "./file-digest.ts";
import {
  IMAGE_MANIFEST_FILE,
  IMAGE_SIGNATURE_FILE,
  type ImageInputs,
  type ImageManifest,
  ImageManifestSchema,
  serializeImageManifest,
} from "./image-manifest.ts";
import type { ImageSigningKey } from "./image-signing-key.ts";

/** Options of signImage. */
export interface SignImageOptions {
  /** The Stele release the image is (STELE_VERSION). */
  version: string;
  /** What the image was built from. */
  inputs: ImageInputs;
  /** The files of the image, by name in the directory, in the order the manifest lists them. */
  outputs: readonly string[];
  /** The key to sign with. */
  key: ImageSigningKey;
  /** The key's name, as a TrustedKeysConfig lists it (a DNS label). */
  keyName: string;
}

/** What signImage wrote. */
export interface SignedImage {
  manifest: ImageManifest;
  /** Absolute or dir-relative paths of stele-image.json and stele-image.json.sig. */
  manifestFile: string;
  signatureFile: string;
}

/** TrustedKeysConfig's key-name format: a signer's name must be one a node's config can list. */
const KEY_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Writes `stele-image.json` into `dir` (the version, the inputs, the size and sha256 of each
 * output as it is in `dir` now, the signer's name and key id) and `stele-image.json.sig`, an
 * Ed25519 signature over the manifest's exact bytes in base64 — a standard signature that
 * `openssl pkeyutl -verify -rawin` accepts. Each file is written whole or not at all (a temporary
 * file renamed into place), so a crash never leaves half a manifest that looks like tampering.
 */
export async function signImage(dir: string, options: SignImageOptions): Promise<SignedImage> {
  checkImageKeyName(options.keyName);
  try {
    const outputs = [];
    for (const file of options.outputs) {
      const path = join(dir, file);
      const digest = await fileDigest(path).catch((error: unknown) => {
        throw new SteleError(
          "not-found",
          `Cannot sign the image: ${path}: ${(error as Error).message}`,
          "Build the image into the directory first; every output must be there to be hashed",
          { cause: error },
        );
      });
      outputs.push({ file, ...digest });
    }
    const parsed = ImageManifestSchema.safeParse({
      schema: 1,
      version: options.version,
      inputs: options.inputs,
      outputs,
      signer: { name: options.keyName, algorithm: "ed25519", keyId: options.key.keyId },
    });
    if (!parsed.success) {
      throw new SteleError(
        "internal",
        `Cannot sign the image: the manifest would be invalid: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
        "This is a bug in the image builder; please report it",
      );
    }
    const manifest = parsed.data;
    const bytes = serializeImageManifest(manifest);
    const signature = sign(null, bytes, options.key.privateKey).toString("base64");
    const manifestFile = join(dir, IMAGE_MANIFEST_FILE);
    const signatureFile = join(dir, IMAGE_SIGNATURE_FILE);
    await writeWhole(signatureFile, `${signature}\n`);
    await writeWhole(manifestFile, bytes);
    return { manifest, manifestFile, signatureFile };
  } catch (error) {
    if (isSteleError(error)) throw error;
    throw new SteleError(
      "io",
      `Cannot sign the image in ${dir}: ${(error as Error).message}`,
      "Check that the directory is writable and has free space",
      { cause: error },
    );
  }
}

/**
 * Throws unless `name` can name a signing key: the format of a TrustedKeysConfig key name, so the
 * name in a manifest is one a node's config can list. Separate so a build can check it before
 * spending a minute building.
 */
export function checkImageKeyName(name: string): void {
  if (KEY_NAME.test(name)) return;
  throw new SteleError(
    "invalid-argument",
    `Invalid signing key name: ${JSON.stringify(name)}: expected lowercase letters, digits and '-' (at most 63 characters)`,
    "Name the key as the nodes' TrustedKeysConfig will list it, e.g. acme-release-2025",
  );
}

async function writeWhole(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, content, { mode: 0o644 });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}
