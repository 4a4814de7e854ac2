import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SteleError } from "../machinery/errors.ts";
import type { GrubBiosImages } from "../pkg/grub-bios/index.ts";
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
  const work = await mkdtemp(join(tmpdir(), "stele-grub-"));
  try {
    const config = join(work, "embedded.cfg");
    const core = join(work, "core.img");
    await writeFile(config, GRUB_EMBEDDED_CONFIG);
    try {
      await run(
        "grub-mkimage",
        [
          "-O",
          "i386-pc",
          "-d",
          GRUB_I386_PC_DIR,
          "-o",
          core,
          "-p",
          GRUB_PREFIX,
          "-c",
          config,
          ...GRUB_MODULES,
        ],
        { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", SOURCE_DATE_EPOCH: GRUB_EPOCH } },
      );
      return {
        bootImg: await readFile(join(GRUB_I386_PC_DIR, "boot.img")),
        coreImg: await readFile(core),
      };
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw new SteleError(
        "failed-precondition",
        `Cannot make GRUB's BIOS images: ${missing ? `grub-mkimage or ${GRUB_I386_PC_DIR} is missing` : ((error as { stderr?: string }).stderr ?? String(error)).trim()}`,
        "Install grub-pc-bin and grub-common on the build host (bash scripts/deps.sh does)",
        { cause: error },
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
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
