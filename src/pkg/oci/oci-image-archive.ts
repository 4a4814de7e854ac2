import { createHash } from "node:crypto";
import { TarWriter } from "../archive/tar-writer.ts";
import { OciError } from "./oci-error.ts";

/** Media types of the OCI image specification (v1.1) that a single-platform image uses. */
export const OCI_MEDIA_TYPES = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
} as const;

/** The parts of an image config's `config` object (how a container of it starts) that Stele sets. */
export interface OciRuntimeConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
}

/** Options of buildOciImageArchive. */
export interface OciImageOptions {
  /** Full reference, `registry/repository:tag`; the tag becomes `org.opencontainers.image.ref.name`. */
  reference: string;
  /** Uncompressed layer tars (see buildLayerTar), bottom first. */
  layers: readonly Uint8Array[];
  config?: OciRuntimeConfig;
  architecture?: string;
  os?: string;
}

/** A built archive and the digests that identify what is in it. */
export interface OciImageArchive {
  /** The archive as `ctr images import` and `skopeo copy oci-archive:` read it. */
  archive: Buffer;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
}

/** A content descriptor of the OCI specification. */
interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

/** The annotation containerd reads to name an imported image (full reference, no `--base-name`). */
export const CONTAINERD_IMAGE_NAME_ANNOTATION = "io.containerd.image.name";
/** The OCI annotation that names a manifest in an index (its tag). */
export const OCI_REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/**
 * Builds an OCI image layout (oci-layout, index.json, blobs/sha256/…) as one tar archive, written by
 * hand so it is reproducible: no timestamps in the config, JSON with a fixed key order, tar entries
 * sorted with mtime 0. The index's manifest carries both the OCI ref name (the tag) and containerd's
 * image-name annotation (the full reference), so `ctr images import` names it without flags.
 */
export function buildOciImageArchive(options: OciImageOptions): OciImageArchive {
  const architecture = options.architecture ?? "amd64";
  const os = options.os ?? "linux";
  const blobs = new Map<string, Uint8Array>();
  const add = (mediaType: string, bytes: Uint8Array): Descriptor => {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  };

  const layers = options.layers.map((layer) => add(OCI_MEDIA_TYPES.layer, layer));
  const config = add(
    OCI_MEDIA_TYPES.config,
    json({
      architecture,
      os,
      config: options.config ?? {},
      // Uncompressed layers: each layer's digest is its diff_id.
      rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.digest) },
    }),
  );
  const manifest = add(
    OCI_MEDIA_TYPES.manifest,
    json({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, config, layers }),
  );
  const index = json({
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.index,
    manifests: [
      {
        ...manifest,
        platform: { architecture, os },
        annotations: {
          [CONTAINERD_IMAGE_NAME_ANNOTATION]: options.reference,
          [OCI_REF_NAME_ANNOTATION]: imageTag(options.reference),
        },
      },
    ],
  });

  const tar = new TarWriter({ mtime: new Date(0) });
  tar.addDirectory("blobs", { mode: 0o755 });
  tar.addDirectory("blobs/sha256", { mode: 0o755 });
  for (const digest of [...blobs.keys()].sort()) {
    tar.addFile(`blobs/sha256/${digest.slice("sha256:".length)}`, blobs.get(digest)!, { mode: 0o644 });
  }
  tar.addFile("index.json", index, { mode: 0o644 });
  tar.addFile("oci-layout", json({ imageLayoutVersion: "1.0.0" }), { mode: 0o644 });
  return {
    archive: tar.toBuffer(),
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layerDigests: layers.map((layer) => layer.digest),
  };
}

/**
 * The tag of a reference (`registry.k8s.io/etcd:3.5.16-0` → `3.5.16-0`); `latest` when it has none.
 * A digest reference (`…@sha256:…`) names content, not a tag, so it cannot label a built image.
 */
export function imageTag(reference: string): string {
  if (reference.includes("@")) {
    throw new OciError(
      `Invalid image reference for a built image: ${reference} has a digest`,
      "Name the image by tag (registry/repository:tag)",
    );
  }
  const name = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = name.lastIndexOf(":");
  return colon === -1 ? "latest" : name.slice(colon + 1);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}
