import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { STELE_VERSION } from "../../machinery/constants.ts";
import { SteleError } from "../../machinery/errors.ts";
import { fileDigest } from "../../machinery/image/index.ts";
import { extractDeb } from "../../pkg/debian/extract-deb.ts";
import { fetchDebs } from "../../pkg/debian/fetch-debs.ts";
import { asSteleError } from "../as-stele-error.ts";
import { type BootImages, ensureBootImages, readBootManifest } from "../boot/index.ts";
import { buildGrubBiosImages, buildGrubIsoImages, grubVersion } from "../build-grub-images.ts";
import { osRelease } from "../build-rootfs.ts";
import { defaultAptCacheDir } from "../ensure-node-images.ts";
import { withHostLock } from "../host-lock.ts";
import { readImagesManifest } from "../images-manifest.ts";
import { outputsIntact } from "../outputs-intact.ts";
import { findRepoRoot } from "../repo-root.ts";
import { buildEspImage } from "./build-esp-image.ts";
import { buildIso } from "./build-iso.ts";
import { buildRawDisk, compressRawDisk } from "./build-raw-disk.ts";
import { buildUki } from "./build-uki.ts";
import {
  DISK_MANIFEST_FILE,
  ESP_FILE,
  ISO_FILE,
  RAW_FILE,
  RAW_ZST_FILE,
  RAW_ZSTD_LEVEL,
  STUB_PACKAGE,
  STUB_PATH,
  UKI_CMDLINE,
  UKI_FILE,
} from "./disk-layout.ts";

const run = promisify(execFile);

/** Options of ensureDiskImages. */
export interface EnsureDiskImagesOptions {
  /** Where the disk images and disk.json go, beside the boot and node images (created if missing). */
  outputDir: string;
  /** The private apt's directory (defaultAptCacheDir()). */
  cacheDir?: string;
  onProgress?: (message: string) => void;
  /** Rebuild everything, the node and boot images included, even when the manifests say they are current. */
  force?: boolean;
}

/** The bootable images of a node, as absolute paths: the boot images plus the UKI, ESP, ISO and raw disk. */
export interface DiskImages extends BootImages {
  /** The unified kernel image (`*.efi`). */
  uki: string;
  /** The FAT ESP image holding the UKI as /EFI/BOOT/BOOTX64.EFI. */
  esp: string;
  /** The hybrid ISO. */
  iso: string;
  /** The raw disk image. */
  raw: string;
  /** The raw disk image, zstd-compressed. */
  rawZst: string;
  /** disk.json: inputs and outputs with their hashes. */
  diskManifest: string;
}

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Output = z.object({ file: z.string(), sha256: Sha256, size: z.number().int().nonnegative() });
const DiskManifestSchema = z.object({
  schema: z.literal(1),
  version: z.string(),
  inputs: z.object({
    rootfs: z.object({ sha256: Sha256 }),
    kernel: z.object({ release: z.string(), sha256: Sha256 }),
    initramfs: z.object({ sha256: Sha256 }),
    stub: z.object({ name: z.string(), version: z.string(), sha256: Sha256 }),
    cmdline: z.string(),
    /**
     * The host's GRUB (grub-pc-bin) and the images made from it for legacy BIOS boot: core.img (raw
     * disk, installed disk) and the ISO's El Torito image.
     */
    grub: z.object({ version: z.string(), coreSha256: Sha256, eltoritoSha256: Sha256 }),
    builder: z.object({ sha256: Sha256, tools: z.record(z.string(), z.string()), zstdLevel: z.number() }),
  }),
  outputs: z.object({ uki: Output, esp: Output, iso: Output, raw: Output, rawZst: Output }),
  /** The raw disk's GUIDs (derived from the inputs), for people and for tests. */
  raw: z.object({
    diskGuid: z.string(),
    partitions: z.array(z.object({ number: z.number(), name: z.string(), guid: z.string() })),
  }),
});

/** disk.json: what the disk images of an output directory were built from, and their hashes. */
export type DiskManifest = z.infer<typeof DiskManifestSchema>;

/**
 * Makes sure `outputDir` holds Stele's bootable media: first the boot images (ensureBootImages:
 * rootfs.sqsh, vmlinuz, initramfs.zst …), then the unified kernel image (systemd-stub from Debian 13
 * with os-release, UKI_CMDLINE, the kernel and the initramfs), the ESP image holding it (and the
 * grub.cfg that boots it under a legacy BIOS), the hybrid
 * ISO (ESP + squashfs, El Torito for UEFI and BIOS) and the raw disk image (Stele GPT layout, GRUB in the MBR and the BIOS
 * partition) with its zstd copy. Rebuilt only
 * when an input changed (the rootfs, kernel, initramfs, stub package, command line, the builder's
 * code or the host tools' versions) or an output is missing or altered; the same inputs give the
 * same bytes. Concurrent builds into the same directory take turns.
 */
export async function ensureDiskImages(options: EnsureDiskImagesOptions): Promise<DiskImages> {
  try {
    return await ensure(options);
  } catch (error) {
    throw asSteleError(error);
  }
}

async function ensure(options: EnsureDiskImagesOptions): Promise<DiskImages> {
  const outputDir = resolve(options.outputDir);
  const cacheDir = resolve(options.cacheDir ?? defaultAptCacheDir());
  const progress = options.onProgress ?? (() => {});
  const boot = await ensureBootImages({
    outputDir,
    cacheDir,
    onProgress: progress,
    ...(options.force === undefined ? {} : { force: options.force }),
  });
  const images: DiskImages = {
    ...boot,
    uki: join(outputDir, UKI_FILE),
    esp: join(outputDir, ESP_FILE),
    iso: join(outputDir, ISO_FILE),
    raw: join(outputDir, RAW_FILE),
    rawZst: join(outputDir, RAW_ZST_FILE),
    diskManifest: join(outputDir, DISK_MANIFEST_FILE),
  };
  return withHostLock(
    `disk:${outputDir}`,
    async () => {
      const [stub] = await withHostLock(
        `apt:${cacheDir}`,
        () => fetchDebs([STUB_PACKAGE], { cacheDir, onProgress: progress }),
        { onWait: () => progress(`Waiting for another build using the apt cache ${cacheDir}`) },
      );
      const node = await readImagesManifest(outputDir);
      const bootManifest = await readBootManifest(outputDir);
      if (node === undefined || bootManifest === undefined) {
        throw new SteleError(
          "failed-precondition",
          `Boot images missing: no images.json or boot.json in ${outputDir}`,
          "Another build replaced the boot images meanwhile: build again",
        );
      }
      const grub = await buildGrubBiosImages();
      const grubIso = await buildGrubIsoImages();
      const inputs: DiskManifest["inputs"] = {
        rootfs: { sha256: node.outputs.rootfs.sha256 },
        kernel: {
          release: bootManifest.inputs.kernel.name.replace(/^linux-image-/, ""),
          sha256: bootManifest.outputs.kernel.sha256,
        },
        initramfs: { sha256: bootManifest.outputs.initramfs.sha256 },
        stub: { name: stub!.name, version: stub!.version, sha256: stub!.sha256 },
        cmdline: UKI_CMDLINE,
        grub: {
          version: await grubVersion(),
          coreSha256: createHash("sha256").update(grub.coreImg).digest("hex"),
          eltoritoSha256: createHash("sha256").update(grubIso.eltoritoImg).digest("hex"),
        },
        builder: {
          sha256: await diskBuilderFingerprint(),
          tools: await toolVersions(),
          zstdLevel: RAW_ZSTD_LEVEL,
        },
      };
      const existing = await readDiskManifest(outputDir);
      if (
        !options.force &&
        existing !== undefined &&
        JSON.stringify(existing.inputs) === JSON.stringify(inputs)
      ) {
        if (await outputsIntact(outputDir, Object.values(existing.outputs))) {
          progress(`Disk images are up to date in ${outputDir}`);
          return images;
        }
        progress("A disk image in the output directory was changed or removed: rebuilding");
      }

      const work = await mkdtemp(join(outputDir, ".disk-build-"));
      try {
        const file = (name: string) => join(work, name);
        let started = Date.now();
        const step = (message: string) => {
          progress(`${message} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          started = Date.now();
        };
        progress(`Building the unified kernel image ${UKI_FILE} (systemd-stub ${stub!.version})`);
        await extractDeb(stub!.path, file("stub"));
        const uki = buildUki({
          stub: await readFile(join(file("stub"), STUB_PATH)),
          kernel: await readFile(boot.kernel),
          initrd: await readFile(boot.initramfs),
          osRelease: osRelease(STELE_VERSION),
          cmdline: UKI_CMDLINE,
          uname: inputs.kernel.release,
        });
        await writeFile(file(UKI_FILE), uki);
        step(`Built ${UKI_FILE}: ${megabytes(uki.length)}`);
        await buildEspImage(file(UKI_FILE), file(ESP_FILE));
        step(`Built the ESP image ${ESP_FILE}`);
        progress(`Building the ISO ${ISO_FILE} (xorriso)`);
        await buildIso(
          { esp: file(ESP_FILE), rootfs: boot.rootfs, grub: grubIso, treeDir: file("iso-root") },
          file(ISO_FILE),
        );
        step(`Built ${ISO_FILE}`);
        const table = await buildRawDisk(
          { esp: file(ESP_FILE), rootfs: boot.rootfs, guidSeed: JSON.stringify(inputs), grub },
          file(RAW_FILE),
        );
        step(`Built the raw disk image ${RAW_FILE}`);
        await compressRawDisk(file(RAW_FILE), file(RAW_ZST_FILE));
        step(`Compressed it to ${RAW_ZST_FILE} (zstd ${RAW_ZSTD_LEVEL})`);

        const output = async (name: string) => ({ file: name, ...(await fileDigest(file(name))) });
        const manifest: DiskManifest = {
          schema: 1,
          version: STELE_VERSION,
          inputs,
          outputs: {
            uki: await output(UKI_FILE),
            esp: await output(ESP_FILE),
            iso: await output(ISO_FILE),
            raw: await output(RAW_FILE),
            rawZst: await output(RAW_ZST_FILE),
          },
          raw: {
            diskGuid: table.diskGuid,
            partitions: table.partitions.map((p) => ({ number: p.number, name: p.name, guid: p.guid })),
          },
        };
        // The manifest goes last: until it is written, the directory never claims files it lacks.
        await rm(images.diskManifest, { force: true });
        for (const name of [UKI_FILE, ESP_FILE, ISO_FILE, RAW_FILE, RAW_ZST_FILE]) {
          await rename(file(name), join(outputDir, name));
        }
        await writeFile(file(DISK_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
        await rename(file(DISK_MANIFEST_FILE), images.diskManifest);
        progress(
          `Disk images: ${UKI_FILE} ${megabytes(manifest.outputs.uki.size)}, ${ISO_FILE} ${megabytes(manifest.outputs.iso.size)}, ` +
            `${RAW_ZST_FILE} ${megabytes(manifest.outputs.rawZst.size)}`,
        );
        return images;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    { onWait: () => progress(`Waiting for another disk image build into ${outputDir}`) },
  );
}

/** disk.json of an output directory, or undefined when it is missing or not one this builder wrote. */
export async function readDiskManifest(outputDir: string): Promise<DiskManifest | undefined> {
  try {
    return DiskManifestSchema.parse(JSON.parse(await readFile(join(outputDir, DISK_MANIFEST_FILE), "utf8")));
  } catch {
    return undefined;
  }
}

/** The directories whose code decides the disk images' bytes (the boot images' own are in boot.json). */
const DISK_BUILDER_DIRS = [
  "src/imager/disk",
  "src/pkg/pe",
  "src/pkg/gpt",
  "src/pkg/meta",
  "src/pkg/fat",
  "src/pkg/grub-bios",
];

async function diskBuilderFingerprint(): Promise<string> {
  const repoRoot = findRepoRoot();
  const hash = createHash("sha256");
  for (const dir of DISK_BUILDER_DIRS) {
    const files = (await readdir(join(repoRoot, dir)))
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
      .sort();
    for (const name of files) {
      hash.update(`${dir}/${name}\0`);
      hash.update(await readFile(join(repoRoot, dir, name)));
      hash.update("\0");
    }
  }
  return hash.digest("hex");
}

/**
 * The versions of the host tools that write the ESP and the ISO, as dpkg knows them (the build host
 * is Debian, scripts/deps.sh): a new mkfs.fat or xorriso may lay the bytes out differently, so it
 * counts as an input. Node's zstd (the .zst) is there too.
 */
async function toolVersions(): Promise<Record<string, string>> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const DPKG_VERSION_FORMAT = "${Version}\\n";
  const packages = ["dosfstools", "mtools", "xorriso"];
  let versions: string[] = [];
  try {
    const { stdout } = await run("dpkg-query", ["-W", "-f", DPKG_VERSION_FORMAT, ...packages], {
      encoding: "utf8",
    });
    versions = stdout.trim().split("\n");
  } catch {
    // Not a Debian host, or a tool is missing (the build names it): the versions stay unknown.
  }
  const tools: Record<string, string> = Object.fromEntries(
    packages.map((name, i) => [name, versions[i] ?? "unknown"]),
  );
  tools.zstd = process.versions.zstd ?? "";
  return tools;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
