import { copyFile, link, mkdir, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { INITRAMFS_FILE, readBootManifest, VMLINUZ_FILE } from "../../imager/boot/index.ts";
import {
  ensureDiskImages,
  ISO_FILE,
  RAW_FILE,
  RAW_ZST_FILE,
  readDiskManifest,
  UKI_FILE,
} from "../../imager/disk/index.ts";
import { ETCD_IMAGE_FILE, ROOTFS_FILE, readImagesManifest } from "../../imager/index.ts";
import { findRepoRoot } from "../../imager/repo-root.ts";
import { TrustedKeysConfigSchema } from "../../machinery/config/schema/trusted-keys-config.ts";
import { STELE_VERSION } from "../../machinery/constants.ts";
import { SteleError } from "../../machinery/errors.ts";
import {
  checkImageKeyName,
  DEVELOPMENT_SIGNING_KEY_NAME,
  developmentSigningKey,
  generateImageSigningKey,
  type ImageInputs,
  type ImageSigningKey,
  isDevelopmentSigner,
  parseImageSigningKey,
  parseImageVerifyKey,
  signImage,
  type TrustedImageKey,
  verifyImage,
} from "../../machinery/image/index.ts";
import { collect, readInputFile } from "../input.ts";
import { SECRET_FILE_MODE, writeOutputFiles } from "../output-files.ts";

/**
 * The files of a Stele image, in the order the manifest lists them: the node images, the kernel and
 * initramfs (direct boot, PXE), then the bootable media (UKI, ISO, raw disk and its .zst).
 */
const IMAGE_OUTPUTS = [
  ROOTFS_FILE,
  ETCD_IMAGE_FILE,
  VMLINUZ_FILE,
  INITRAMFS_FILE,
  UKI_FILE,
  ISO_FILE,
  RAW_FILE,
  RAW_ZST_FILE,
] as const;

/** The size goal of the bootable ISO (issue V1), printed beside its size so a regression shows. */
const ISO_GOAL_MB = 60;

/**
 * Registers `stelectl image …`: build a signed image into a directory, verify one, and make a
 * signing key. The signature is what lets a node (and a person) refuse an image that was altered
 * after the build, so building and checking it sit side by side.
 */
export function registerImageCommands(program: Command): void {
  const image = program.command("image").description("Build, sign and verify Stele boot images");

  image
    .command("build")
    .description(
      "Build the node image (rootfs, etcd image, kernel, initramfs, UKI, ISO, raw disk) into a directory and sign it",
    )
    .requiredOption("--output-dir <dir>", "directory to put the image files and stele-image.json(.sig) in")
    .option("--signing-key <file>", "Ed25519 private key (PEM) to sign with (default: the development key)")
    .option(
      "--signing-key-name <name>",
      "name of the key, as TrustedKeysConfig lists it (default: from the file name)",
    )
    .option(
      "--build-dir <dir>",
      "where the images are built and cached (default: _out/images of the checkout)",
    )
    .action(async (options: BuildOptions) => {
      await buildImage(options);
    });

  image
    .command("verify")
    .description("Check an image directory's signature and the sha256 of every file it lists")
    .argument("<dir>", "directory holding stele-image.json, stele-image.json.sig and the image files")
    .option("--key <file>", "trusted Ed25519 public key, PEM (repeatable)", collect, [])
    .option("--trusted-keys <file>", "a config file whose TrustedKeysConfig lists the trusted keys")
    .option("--allow-development-key", "accept an image signed with the development key", false)
    .action(async (dir: string, options: VerifyOptions) => {
      await verifyImageDir(dir, options);
    });

  image
    .command("keygen")
    .description("Generate an Ed25519 key pair to sign images with (PREFIX.key, mode 0600, and PREFIX.pub)")
    .requiredOption("--output <prefix>", "path prefix of the two files")
    .option("--force", "replace existing files", false)
    .action((options: { output: string; force: boolean }) => {
      const pair = generateImageSigningKey();
      const keyFile = `${options.output}.key`;
      const pubFile = `${options.output}.pub`;
      writeOutputFiles(
        [
          { path: keyFile, content: pair.privateKeyPem, mode: SECRET_FILE_MODE },
          { path: pubFile, content: pair.publicKeyPem, mode: 0o644 },
        ],
        { force: options.force },
      );
      process.stderr.write(`wrote ${keyFile} (mode 0600: keep it secret) and ${pubFile}\n`);
      process.stdout.write(`key id ${pair.keyId}\n`);
    });
}

interface BuildOptions {
  outputDir: string;
  signingKey?: string;
  signingKeyName?: string;
  buildDir?: string;
}

async function buildImage(options: BuildOptions): Promise<void> {
  // The key and its name are checked before the build: a typo should not cost a minute of building.
  const { key, name } = readSigningKey(options);
  const outputDir = resolve(options.outputDir);
  const buildDir = resolve(options.buildDir ?? join(findRepoRoot(import.meta.dirname), "_out", "images"));
  const progress = (message: string) => process.stderr.write(`${message}\n`);

  await ensureDiskImages({ outputDir: buildDir, onProgress: progress });
  const node = await readImagesManifest(buildDir);
  const boot = await readBootManifest(buildDir);
  const disk = await readDiskManifest(buildDir);
  if (node === undefined || boot === undefined || disk === undefined) {
    throw new SteleError(
      "failed-precondition",
      `Image manifests missing: no images.json, boot.json or disk.json in ${buildDir} after the build`,
      "Another build replaced the images meanwhile: run the build again",
    );
  }

  if (outputDir !== buildDir) {
    progress(`Linking the image files into ${outputDir}`);
    await mkdir(outputDir, { recursive: true });
    for (const file of IMAGE_OUTPUTS) await linkOrCopy(join(buildDir, file), join(outputDir, file));
  }
  const inputs: ImageInputs = {
    // systemd-stub (the UKI's EFI program) is a Debian package of the image like the rootfs's.
    debs: [...node.inputs.debs, disk.inputs.stub],
    node: node.inputs.node,
    bundle: node.inputs.bundle,
    nodeModules: { sha256: node.inputs.nodeModules.sha256 },
    api: { sha256: node.inputs.api.sha256 },
    kernel: boot.inputs.kernel,
  };
  progress("Hashing the image files and signing stele-image.json");
  const signed = await signImage(outputDir, {
    version: STELE_VERSION,
    inputs,
    outputs: IMAGE_OUTPUTS,
    key,
    keyName: name,
  });

  // The manifest hashes what is in the output directory; it must be what the build recorded, or
  // another build replaced a file between the build and the copy.
  const built = new Map(
    [
      node.outputs.rootfs,
      node.outputs.etcdImage,
      boot.outputs.kernel,
      boot.outputs.initramfs,
      disk.outputs.uki,
      disk.outputs.iso,
      disk.outputs.raw,
      disk.outputs.rawZst,
    ].map((o) => [o.file, o.sha256]),
  );
  const changed = signed.manifest.outputs.filter((o) => built.get(o.file) !== o.sha256).map((o) => o.file);
  if (changed.length > 0) {
    await rm(signed.signatureFile, { force: true });
    throw new SteleError(
      "busy",
      `Image files changed during the build: ${changed.join(", ")} in ${buildDir} differ from what the build recorded`,
      "Another build wrote into the build directory meanwhile: run the build again, or pass a --build-dir of your own",
    );
  }

  const rows = signed.manifest.outputs.map((o) => [o.file, megabytes(o.size), o.sha256.slice(0, 16)]);
  process.stdout.write(
    table([["FILE", "SIZE", "SHA256"], ...rows, ["total", megabytes(sum(signed.manifest.outputs)), ""]]),
  );
  process.stdout.write(`bootable ISO: ${megabytes(disk.outputs.iso.size)} (goal ≤ ${ISO_GOAL_MB} MB)\n`);
  process.stdout.write(
    `Stele ${STELE_VERSION} signed by ${name} (key id ${key.keyId}): ${signed.manifestFile}, ${signed.signatureFile}\n`,
  );
  if (isDevelopmentSigner({ name, keyId: key.keyId })) {
    process.stderr.write(
      `warning: signed with ${options.signingKey === undefined ? "the development key" : `a development key (${name})`}, whose private half is published: ` +
        "`stelectl image verify` and `stelectl audit` flag it\n" +
        "hint: production images must be signed with --signing-key (make one with `stelectl image keygen`)\n",
    );
  }
}

function readSigningKey(options: BuildOptions): { key: ImageSigningKey; name: string } {
  if (options.signingKey === undefined) {
    if (options.signingKeyName !== undefined) {
      throw new SteleError(
        "invalid-argument",
        "--signing-key-name needs --signing-key: the development key is always named " +
          JSON.stringify(DEVELOPMENT_SIGNING_KEY_NAME),
        "pass the private key to sign with as --signing-key FILE",
      );
    }
    return { key: developmentSigningKey(), name: DEVELOPMENT_SIGNING_KEY_NAME };
  }
  const key = parseImageSigningKey(readInputFile(options.signingKey, "--signing-key"), options.signingKey);
  const name = options.signingKeyName ?? keyNameFromFile(options.signingKey);
  checkImageKeyName(name);
  return { key, name };
}

/** `keys/Acme_Release.key` → `acme-release`: a key named after its file unless told otherwise. */
function keyNameFromFile(path: string): string {
  return basename(path)
    .replace(/\.(key|pem)$/i, "")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * Hard-links `from` to `to` (instant, no extra space; the builder replaces files by rename, never
 * in place, so a later build does not change a linked copy), or copies across file systems.
 */
async function linkOrCopy(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw ioError(to, error);
    await copyFile(from, to).catch((copyError: unknown) => {
      throw ioError(to, copyError);
    });
  }
}

function ioError(path: string, error: unknown): SteleError {
  return new SteleError(
    "io",
    `Cannot write ${path}: ${(error as Error).message}`,
    "Choose an --output-dir you can write, with free space",
    { cause: error },
  );
}

interface VerifyOptions {
  key: string[];
  trustedKeys?: string;
  allowDevelopmentKey: boolean;
}

async function verifyImageDir(dir: string, options: VerifyOptions): Promise<void> {
  const trustedKeys: TrustedImageKey[] = options.key.map((file) => {
    const pem = readInputFile(file, "--key");
    parseImageVerifyKey(pem, file); // an ECDSA or RSA key file is an error naming the file
    return pem;
  });
  if (options.trustedKeys !== undefined) trustedKeys.push(...readTrustedKeysConfig(options.trustedKeys));

  const result = await verifyImage(dir, {
    trustedKeys,
    allowDevelopmentKey: options.allowDevelopmentKey,
  });
  if (result.ok) {
    const manifest = result.manifest!;
    process.stdout.write(
      `OK: ${dir}: Stele ${manifest.version}, ${manifest.outputs.length} files intact, ` +
        `signed by ${result.signer!.name} (key id ${result.signer!.keyId})\n`,
    );
    if (result.developmentKey) {
      process.stderr.write(
        "warning: signed with a development key, accepted because of --allow-development-key\n",
      );
    }
    return;
  }
  process.stdout.write(`FAILED: ${dir}: ${result.problems.length} problem(s)\n`);
  for (const problem of result.problems) process.stdout.write(`  ${problem.message}\n`);
  const kinds = new Set(result.problems.map((p) => p.kind));
  const hint =
    kinds.has("tampered-file") || kinds.has("missing-file") || kinds.has("bad-signature")
      ? "the image was altered or damaged after it was signed: do not use it; build or download it again"
      : kinds.has("untrusted-key")
        ? "pass the signer's public key with --key FILE or --trusted-keys CONFIG, if you trust it"
        : kinds.has("development-key")
          ? "a development build: pass --allow-development-key to accept it; production images are built with --signing-key"
          : undefined;
  if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
  process.exitCode = 1;
}

/**
 * The Ed25519 keys of a config file's TrustedKeysConfig (the file may hold other documents too).
 * ECDSA keys there are for extensions: skipped with a note, since images are signed with Ed25519.
 */
function readTrustedKeysConfig(file: string): TrustedImageKey[] {
  const text = readInputFile(file, "--trusted-keys");
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  const broken = list.find((doc) => doc.errors.length > 0);
  if (broken !== undefined) {
    throw new SteleError(
      "invalid-config",
      `Cannot read --trusted-keys ${JSON.stringify(file)}: ${broken.errors[0]!.message.split("\n")[0]!.replace(/:$/, "")}`,
      "`stelectl validate` shows every problem with its line and column",
    );
  }
  const found = list
    .map((doc) => doc.toJS() as unknown)
    .find((doc) => (doc as { kind?: unknown })?.kind === "TrustedKeysConfig");
  if (found === undefined) {
    throw new SteleError(
      "invalid-argument",
      `No TrustedKeysConfig document in --trusted-keys ${JSON.stringify(file)}`,
      "pass a config file with a TrustedKeysConfig document, or the public key files with --key",
    );
  }
  const parsed = TrustedKeysConfigSchema.safeParse(found);
  if (!parsed.success) {
    throw new SteleError(
      "invalid-config",
      `Invalid TrustedKeysConfig in ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      "`stelectl validate` shows every problem with its line and column",
    );
  }
  const keys: TrustedImageKey[] = [];
  for (const key of parsed.data.keys) {
    try {
      parseImageVerifyKey(key.publicKey, `${file}: key ${JSON.stringify(key.name)}`);
      keys.push({ name: key.name, publicKey: key.publicKey });
    } catch (error) {
      process.stderr.write(`note: skipping ${(error as Error).message}\n`);
    }
  }
  return keys;
}

function sum(outputs: readonly { size: number }[]): number {
  return outputs.reduce((total, o) => total + o.size, 0);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}
