import { verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isSteleError, SteleError } from "../errors.ts";
import {
  DEVELOPMENT_SIGNING_KEY_NAME,
  DEVELOPMENT_SIGNING_PUBLIC_KEY_PEM,
  isDevelopmentSigner,
} from "./development-signing-key.ts";
import { fileDigest } from "./file-digest.ts";
import {
  IMAGE_MANIFEST_FILE,
  IMAGE_SIGNATURE_FILE,
  type ImageManifest,
  ImageManifestSchema,
} from "./image-manifest.ts";
import { type ImageVerifyKey, parseImageVerifyKey } from "./image-signing-key.ts";

/** A public key images may be signed with: a PEM, or an entry of a TrustedKeysConfig (name and PEM). */
export type TrustedImageKey = string | { name: string; publicKey: string };

/** Options of verifyImage. */
export interface VerifyImageOptions {
  /** The keys a signature is accepted from (the development key is always recognised, and flagged). */
  trustedKeys: readonly TrustedImageKey[];
  /** Do not count a development-key signature as a problem (it is still reported in `developmentKey`). */
  allowDevelopmentKey?: boolean;
}

/** What is wrong with an image, one kind per check. */
export type ImageProblemKind =
  | "missing-manifest"
  | "invalid-manifest"
  | "missing-signature"
  | "bad-signature"
  | "untrusted-key"
  | "development-key"
  | "missing-file"
  | "tampered-file";

/** One problem found in an image; `message` is a full sentence in the house style. */
export interface ImageProblem {
  kind: ImageProblemKind;
  message: string;
  /** The output concerned (missing-file, tampered-file). */
  file?: string;
}

/** The result of verifyImage. */
export interface ImageVerification {
  /** No problem found: signed by a trusted key and every output intact. */
  ok: boolean;
  problems: ImageProblem[];
  /** The manifest, when it could be read (trust it only when `ok`). */
  manifest?: ImageManifest;
  /** The key whose signature verified, with the name it is trusted under. */
  signer?: { name: string; keyId: string };
  /** The signature verified with a development key (the published one, or a key named as one). */
  developmentKey: boolean;
}

/**
 * Checks an image directory: reads stele-image.json, checks its detached Ed25519 signature
 * against the trusted keys, and recomputes the size and sha256 of every output it lists. Every
 * problem is reported, not just the first, so one run tells the whole story (a tampered file
 * names itself and both hashes). The development key is always recognised, so a developer's build
 * verifies, but reported as a problem unless `allowDevelopmentKey`: its private half is public.
 * Throws only SteleError, and only when a trusted key itself is unusable.
 */
export async function verifyImage(dir: string, options: VerifyImageOptions): Promise<ImageVerification> {
  try {
    return await verifyDirectory(dir, options);
  } catch (error) {
    if (isSteleError(error)) throw error;
    throw new SteleError(
      "internal",
      `Cannot verify the image in ${dir}: ${error instanceof Error ? error.message : String(error)}`,
      "This is a bug in image verification; please report it",
      { cause: error },
    );
  }
}

interface Candidate extends ImageVerifyKey {
  name: string | undefined;
}

async function verifyDirectory(dir: string, options: VerifyImageOptions): Promise<ImageVerification> {
  const candidates = trustedCandidates(options.trustedKeys);
  const problems: ImageProblem[] = [];
  const result = (extra: Partial<ImageVerification> = {}): ImageVerification => ({
    ok: problems.length === 0,
    problems,
    developmentKey: false,
    ...extra,
  });

  const manifestPath = join(dir, IMAGE_MANIFEST_FILE);
  const bytes = await readFile(manifestPath).catch((error: NodeJS.ErrnoException) => error);
  if (bytes instanceof Error) {
    problems.push({
      kind: "missing-manifest",
      message: `No image manifest: ${manifestPath}: ${reason(bytes)}`,
    });
    return result();
  }
  const manifest = parseManifest(bytes);
  if (typeof manifest === "string") {
    problems.push({
      kind: "invalid-manifest",
      message: `Invalid image manifest: ${manifestPath}: ${manifest}`,
    });
    return result();
  }

  let signer: { name: string; keyId: string } | undefined;
  let developmentKey = false;
  const signaturePath = join(dir, IMAGE_SIGNATURE_FILE);
  const signatureText = await readFile(signaturePath, "utf8").catch((error: NodeJS.ErrnoException) => error);
  const claimed = `${JSON.stringify(manifest.signer.name)} (key id ${manifest.signer.keyId})`;
  if (signatureText instanceof Error) {
    problems.push({
      kind: "missing-signature",
      message: `No signature: ${signaturePath}: ${reason(signatureText)}`,
    });
  } else {
    const signature = Buffer.from(signatureText.trim(), "base64");
    const verified =
      signature.length === 64
        ? candidates.find((key) => verify(null, bytes, key.publicKey, signature))
        : undefined;
    if (verified !== undefined && verified.keyId !== manifest.signer.keyId) {
      problems.push({
        kind: "bad-signature",
        message: `Bad signature: signed by key id ${verified.keyId}, but the manifest names ${claimed}`,
      });
    } else if (verified !== undefined) {
      signer = { name: verified.name ?? manifest.signer.name, keyId: verified.keyId };
      developmentKey =
        isDevelopmentSigner(signer) ||
        isDevelopmentSigner({ name: manifest.signer.name, keyId: signer.keyId });
      if (developmentKey && !options.allowDevelopmentKey) {
        problems.push({
          kind: "development-key",
          message: `Signed with the development key: ${claimed} is a development key, whose private half is published, so anyone can sign with it`,
        });
      }
    } else if (candidates.some((key) => key.keyId === manifest.signer.keyId)) {
      problems.push({
        kind: "bad-signature",
        message: `Bad signature: ${IMAGE_MANIFEST_FILE} or ${IMAGE_SIGNATURE_FILE} was changed after signing by ${claimed}`,
      });
    } else {
      problems.push({
        kind: "untrusted-key",
        message: `Not signed by a trusted key: the manifest names ${claimed}, which is not among the ${candidates.length - 1} key(s) given`,
      });
    }
  }

  for (const output of manifest.outputs) {
    const path = join(dir, output.file);
    const actual = await fileDigest(path).catch((error: NodeJS.ErrnoException) => error);
    if (actual instanceof Error) {
      problems.push({
        kind: "missing-file",
        file: output.file,
        message: `Missing file: ${path}: ${reason(actual)}`,
      });
    } else if (actual.sha256 !== output.sha256 || actual.size !== output.size) {
      problems.push({
        kind: "tampered-file",
        file: output.file,
        message:
          `Tampered file: ${output.file}: sha256 ${actual.sha256} (${actual.size} bytes), ` +
          `the manifest says ${output.sha256} (${output.size} bytes)`,
      });
    }
  }
  return result({ manifest, developmentKey, ...(signer === undefined ? {} : { signer }) });
}

/** The keys a signature may come from: the given ones, then the development key (always known, always flagged). */
function trustedCandidates(keys: readonly TrustedImageKey[]): Candidate[] {
  const given = keys.map((key, index): Candidate => {
    if (typeof key === "string")
      return { ...parseImageVerifyKey(key, `trusted key #${index + 1}`), name: undefined };
    return {
      ...parseImageVerifyKey(key.publicKey, `trusted key ${JSON.stringify(key.name)}`),
      name: key.name,
    };
  });
  const development = {
    ...parseImageVerifyKey(DEVELOPMENT_SIGNING_PUBLIC_KEY_PEM, "the development key"),
    name: DEVELOPMENT_SIGNING_KEY_NAME,
  };
  return [...given, development];
}

/** The manifest, or why it is not one. */
function parseManifest(bytes: Buffer): ImageManifest | string {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const parsed = ImageManifestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  return parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`)
    .join("; ");
}

function reason(error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT") return "no such file";
  if (error.code === "EACCES") return "permission denied";
  if (error.code === "EISDIR") return "it is a directory";
  return error.message;
}
