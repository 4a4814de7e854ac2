/**
 * Signed, versioned Stele images: the manifest (stele-image.json) that lists what an image was
 * built from and the sha256 of every file in it, its detached Ed25519 signature, and the
 * verification a user or a node runs before trusting the files.
 */
export {
  DEVELOPMENT_SIGNING_KEY_ID,
  DEVELOPMENT_SIGNING_KEY_NAME,
  DEVELOPMENT_SIGNING_PUBLIC_KEY_PEM,
  developmentSigningKey,
  isDevelopmentSigner,
} from "./development-signing-key.ts";
export { fileDigest } from "./file-digest.ts";
export {
  IMAGE_MANIFEST_FILE,
  IMAGE_SIGNATURE_FILE,
  type ImageInputs,
  type ImageManifest,
  ImageManifestSchema,
  type ImageOutput,
  serializeImageManifest,
} from "./image-manifest.ts";
export {
  generateImageSigningKey,
  type ImageSigningKey,
  type ImageVerifyKey,
  imageKeyId,
  parseImageSigningKey,
  parseImageVerifyKey,
} from "./image-signing-key.ts";
export { checkImageKeyName, type SignedImage, type SignImageOptions, signImage } from "./sign-image.ts";
export {
  type ImageProblem,
  type ImageProblemKind,
  type ImageVerification,
  type TrustedImageKey,
  type VerifyImageOptions,
  verifyImage,
} from "./verify-image.ts";
