import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { SteleError } from "../../machinery/errors.ts";
import { fileDigest } from "../../machinery/image/index.ts";
import { extractDeb } from "../../pkg/debian/extract-deb.ts";
import { asSteleError } from "../as-stele-error.ts";
import { defaultAptCacheDir, ensureNodeImages, type NodeImages } from "../ensure-node-images.ts";
import { withHostLock } from "../host-lock.ts";
import { readImagesManifest } from "../images-manifest.ts";
import { outputsIntact } from "../outputs-intact.ts";
import { findRepoRoot } from "../repo-root.ts";
import {
  BUNDLE_CHUNKS_PATH,
  BUNDLE_PATH,
  LIBRARY_DIR,
  NODE_BINARY_PATH,
  NODE_MODULES_PATH,
} from "../rootfs-layout.ts";
import {
  BOOT_MANIFEST_FILE,
  BOOT_MODULES,
  DEFAULT_INITRAMFS_ZSTD_LEVEL,
  INITRAMFS_FILE,
  VMLINUZ_FILE,
} from "./boot-layout.ts";
import { buildInitramfs } from "./build-initramfs.ts";
import { fetchKernel } from "./fetch-kernel.ts";
import { initramfsEntries } from "./initramfs-entries.ts";
import { selectModules } from "./kernel-modules.ts";

const run = promisify(execFile);

/** Options of ensureBootImages. */
export interface EnsureBootImagesOptions {
  /** Where vmlinuz, initramfs.zst and boot.json go, beside the node images (created if missing). */
  outputDir: string;
  /** The private apt's directory (defaultAptCacheDir()). */
  cacheDir?: string;
  onProgress?: (message: string) => void;
  /** Rebuild even when boot.json says the kernel and initramfs are current. */
  force?: boolean;
  /** zstd level of the initramfs (DEFAULT_INITRAMFS_ZSTD_LEVEL). */
  zstdLevel?: number;
}

/** The boot images of a node, as absolute paths: the node images plus a kernel and an initramfs. */
export interface BootImages extends NodeImages {
  /** The Debian cloud kernel (`qemu -kernel`). */
  kernel: string;
  /** The initramfs with the stage-1 init (`qemu -initrd`). */
  initramfs: string;
  /** boot.json: inputs and outputs with their hashes. */
  bootManifest: string;
}

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Output = z.object({ file: z.string(), sha256: Sha256, size: z.number().int().nonnegative() });
const BootManifestSchema = z.object({
  schema: z.literal(1),
  inputs: z.object({
    rootfs: z.object({ sha256: Sha256 }),
    kernel: z.object({ name: z.string(), version: z.string(), sha256: Sha256 }),
    modules: z.array(z.string()),
    builder: z.object({ sha256: Sha256, zstd: z.string(), level: z.number() }),
  }),
  outputs: z.object({ kernel: Output, initramfs: Output }),
  /** Modules the kernel has built in, left out of the initramfs. */
  builtinModules: z.array(z.string()),
});

/** boot.json: what the kernel and initramfs of an output directory were built from, and their hashes. */
export type BootManifest = z.infer<typeof BootManifestSchema>;

/**
 * Makes sure `outputDir` holds a bootable node: the node images (ensureNodeImages: rootfs.sqsh …),
 * the Debian 13 cloud kernel (`vmlinuz`) and an initramfs (`initramfs.zst`) whose `/init` is the
 * bundle's stage-1 init, with Node.js and the libraries taken from that very rootfs and the kernel
 * modules of BOOT_MODULES. Rebuilt only when an input changed (the rootfs, the kernel package, the
 * builder's code, the zstd level) or an output is missing or altered; the same inputs give the
 * same bytes.
 */
export async function ensureBootImages(options: EnsureBootImagesOptions): Promise<BootImages> {
  try {
    return await ensure(options);
  } catch (error) {
    throw asSteleError(error);
  }
}

async function ensure(options: EnsureBootImagesOptions): Promise<BootImages> {
  const outputDir = resolve(options.outputDir);
  const cacheDir = resolve(options.cacheDir ?? defaultAptCacheDir());
  const progress = options.onProgress ?? (() => {});
  const level = options.zstdLevel ?? DEFAULT_INITRAMFS_ZSTD_LEVEL;
  const node = await ensureNodeImages({
    outputDir,
    cacheDir,
    onProgress: progress,
    ...(options.force === undefined ? {} : { force: options.force }),
  });
  const images: BootImages = {
    ...node,
    kernel: join(outputDir, VMLINUZ_FILE),
    initramfs: join(outputDir, INITRAMFS_FILE),
    bootManifest: join(outputDir, BOOT_MANIFEST_FILE),
  };
  return withHostLock(
    `boot:${outputDir}`,
    async () => {
      const kernel = await withHostLock(
        `apt:${cacheDir}`,
        () => fetchKernel({ cacheDir, onProgress: progress }),
        {
          onWait: () => progress(`Waiting for another build using the apt cache ${cacheDir}`),
        },
      );
      const rootfs = (await readImagesManifest(outputDir))?.outputs.rootfs;
      if (rootfs === undefined) {
        throw new SteleError(
          "failed-precondition",
          `Node images missing: no images.json in ${outputDir}`,
          "Another build replaced the node images meanwhile: build again",
        );
      }
      const inputs: BootManifest["inputs"] = {
        rootfs: { sha256: rootfs.sha256 },
        kernel: { name: kernel.deb.name, version: kernel.deb.version, sha256: kernel.deb.sha256 },
        modules: [...BOOT_MODULES],
        builder: { sha256: await bootBuilderFingerprint(), zstd: process.versions.zstd ?? "", level },
      };
      const existing = await readBootManifest(outputDir);
      if (
        !options.force &&
        existing !== undefined &&
        JSON.stringify(existing.inputs) === JSON.stringify(inputs)
      ) {
        if (await outputsIntact(outputDir, [existing.outputs.kernel, existing.outputs.initramfs])) {
          progress(`Kernel and initramfs are up to date in ${outputDir}`);
          return images;
        }
        progress("The kernel or initramfs in the output directory was changed or removed: rebuilding");
      }

      const work = await mkdtemp(join(outputDir, ".boot-build-"));
      try {
        progress(`Unpacking ${kernel.deb.name}`);
        const kernelRoot = join(work, "kernel");
        await extractDeb(kernel.deb.path, kernelRoot);
        const selected = await selectModules(
          join(kernelRoot, "usr/lib/modules", kernel.release),
          BOOT_MODULES,
        );

        progress("Taking Node.js, the bundle and the libraries from rootfs.sqsh");
        const rootfsDir = join(work, "rootfs");
        await unsquash(node.rootfs, rootfsDir, [
          NODE_BINARY_PATH,
          BUNDLE_PATH,
          BUNDLE_CHUNKS_PATH,
          NODE_MODULES_PATH,
          LIBRARY_DIR,
        ]);

        const started = Date.now();
        progress(`Building ${INITRAMFS_FILE} (cpio, zstd ${level})`);
        const entries = await initramfsEntries({ rootfsDir, modules: selected.modules });
        const initramfs = await buildInitramfs(entries, level);
        const initramfsFile = join(work, INITRAMFS_FILE);
        await writeFile(initramfsFile, initramfs);
        const kernelFile = join(work, VMLINUZ_FILE);
        await copyFile(join(kernelRoot, "boot", `vmlinuz-${kernel.release}`), kernelFile);
        const manifest: BootManifest = {
          schema: 1,
          inputs,
          outputs: {
            kernel: { file: VMLINUZ_FILE, ...(await fileDigest(kernelFile)) },
            initramfs: { file: INITRAMFS_FILE, ...(await fileDigest(initramfsFile)) },
          },
          builtinModules: selected.builtin,
        };
        progress(
          `Built ${INITRAMFS_FILE}: ${megabytes(manifest.outputs.initramfs.size)} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
            `${VMLINUZ_FILE} ${kernel.release}: ${megabytes(manifest.outputs.kernel.size)}`,
        );
        // The manifest goes last: until it is written, the directory never claims files it lacks.
        await rm(images.bootManifest, { force: true });
        await rename(kernelFile, images.kernel);
        await rename(initramfsFile, images.initramfs);
        await writeFile(join(work, BOOT_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
        await rename(join(work, BOOT_MANIFEST_FILE), images.bootManifest);
        return images;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    { onWait: () => progress(`Waiting for another boot image build into ${outputDir}`) },
  );
}

/** boot.json of an output directory, or undefined when it is missing or not one this builder wrote. */
export async function readBootManifest(outputDir: string): Promise<BootManifest | undefined> {
  try {
    return BootManifestSchema.parse(JSON.parse(await readFile(join(outputDir, BOOT_MANIFEST_FILE), "utf8")));
  } catch {
    return undefined;
  }
}

/** The directories whose code decides the boot images' bytes (src/imager's own are in the rootfs hash). */
const BOOT_BUILDER_DIRS = ["src/imager/boot", "src/pkg/cpio", "src/app/init"];

async function bootBuilderFingerprint(): Promise<string> {
  const repoRoot = findRepoRoot();
  const hash = createHash("sha256");
  for (const dir of BOOT_BUILDER_DIRS) {
    const files = (await readdir(join(repoRoot, dir)))
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
      .sort();
    for (const file of files) {
      hash.update(`${dir}/${file}\0`);
      hash.update(await readFile(join(repoRoot, dir, file)));
      hash.update("\0");
    }
  }
  return hash.digest("hex");
}

/** Extracts `paths` of a squashfs into `dir` with the host's unsquashfs. */
async function unsquash(image: string, dir: string, paths: readonly string[]): Promise<void> {
  try {
    await run("unsquashfs", ["-q", "-no-progress", "-no-xattrs", "-d", dir, image, ...paths], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    throw new SteleError(
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "failed-precondition" : "io",
      `Cannot extract ${image}: ${stderr || (error as Error).message}`,
      "Install squashfs-tools (bash scripts/deps.sh does), and check free disk space in the output directory",
      { cause: error },
    );
  }
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
