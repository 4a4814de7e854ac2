import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SteleError } from "../machinery/errors.ts";
import type { GrubBiosImages } from "../pkg/grub-bios/index.ts";
import { ISO_GRUB_EMBEDDED_CONFIG, ISO_GRUB_MODULES, ISO_GRUB_PREFIX } from "./disk/disk-layout.ts";
import { GRUB_EMBEDDED_CONFIG, GRUB_I386_PC_DIR, GRUB_MODULES, GRUB_PREFIX } from "./rootfs-layout.ts";

const run = promisify(execFile);

/** The time grub-mkimage would otherwise record (it honours SOURCE_DATE_EPOCH): 1980-01-01, as every image. */
const GRUB_EPOCH = "315532800";

/**
 * GRUB's i386-pc images from the build host's Debian packages (grub-pc-bin, grub-common, the same
 * version by dependency): boot.img as shipped, and core.img made by grub-mkimage with GRUB_PREFIX,
 * GRUB_EMBEDDED_CONFIG and GRUB_MODULES. The same host packages give the same bytes. A host without
 * them is a SteleError naming the packages.
 */
export async function buildGrubBiosImages(): Promise<GrubBiosImages> {
  const coreImg = await grubMkimage({
    format: "i386-pc",
    prefix: GRUB_PREFIX,
    config: GRUB_EMBEDDED_CONFIG,
    modules: GRUB_MODULES,
  });
  return { bootImg: await readGrubFile("boot.img"), coreImg };
}

/** GRUB's images that make the ISO boot under a legacy BIOS, from a CD and from a USB stick. */
export interface GrubIsoImages {
  /**
   * The El Torito BIOS boot image (`grub-mkimage -O i386-pc-eltorito`: cdboot.img + core.img),
   * whose embedded config opens the ESP image of the ISO 9660 tree as a loopback device.
   */
  eltoritoImg: Buffer;
  /**
   * GRUB's boot_hybrid.img, the MBR boot code for the ISO written to a USB stick: xorriso patches in
   * the El Torito image's sector (`--grub2-mbr`, `--grub2-boot-info`), and it loads that image's core.
   */
  hybridMbr: Buffer;
}

/**
 * The ISO's legacy BIOS boot images from the same host GRUB as core.img (so `disk.json`'s GRUB version
 * covers both): the El Torito image made with ISO_GRUB_PREFIX, ISO_GRUB_EMBEDDED_CONFIG and
 * ISO_GRUB_MODULES, and boot_hybrid.img as shipped. The same host packages give the same bytes.
 */
export async function buildGrubIsoImages(): Promise<GrubIsoImages> {
  const eltoritoImg = await grubMkimage({
    format: "i386-pc-eltorito",
    prefix: ISO_GRUB_PREFIX,
    config: ISO_GRUB_EMBEDDED_CONFIG,
    modules: ISO_GRUB_MODULES,
  });
  return { eltoritoImg, hybridMbr: await readGrubFile("boot_hybrid.img") };
}

interface MkimageSpec {
  format: "i386-pc" | "i386-pc-eltorito";
  prefix: string;
  config: string;
  modules: readonly string[];
}

/** One grub-mkimage run with only the given modules linked in, reproducibly (SOURCE_DATE_EPOCH, C locale). */
async function grubMkimage(spec: MkimageSpec): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), "stele-grub-"));
  try {
    const config = join(work, "embedded.cfg");
    const image = join(work, "image.img");
    await writeFile(config, spec.config);
    try {
      await run(
        "grub-mkimage",
        [
          "-O",
          spec.format,
          "-d",
          GRUB_I386_PC_DIR,
          "-o",
          image,
          "-p",
          spec.prefix,
          "-c",
          config,
          ...spec.modules,
        ],
        { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", SOURCE_DATE_EPOCH: GRUB_EPOCH } },
      );
      return await readFile(image);
    } catch (error) {
      throw missingGrub(error);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A file GRUB ships in GRUB_I386_PC_DIR (boot.img, boot_hybrid.img). */
async function readGrubFile(name: string): Promise<Buffer> {
  try {
    return await readFile(join(GRUB_I386_PC_DIR, name));
  } catch (error) {
    throw missingGrub(error);
  }
}

function missingGrub(error: unknown): SteleError {
  const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
  return new SteleError(
    "failed-precondition",
    `Cannot make GRUB's BIOS images: ${missing ? `grub-mkimage or ${GRUB_I386_PC_DIR} is missing` : ((error as { stderr?: string }).stderr ?? String(error)).trim()}`,
    "Install grub-pc-bin and grub-common on the build host (bash scripts/deps.sh does)",
    { cause: error },
  );
}

/** The version of the host's grub-pc-bin (which ships boot.img and the modules), or "unknown". */
export async function grubVersion(): Promise<string> {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const { stdout } = await run("dpkg-query", ["-W", "-f", "${Version}", "grub-pc-bin"], {
      encoding: "utf8",
    });
    return stdout.trim() || "unknown";
  } catch {
    return "unknown";
  }
}
