import { copyFile, mkdir, rm, utimes } from "node:fs/promises";
import { join } from "node:path";
import { PartitionType } from "../../pkg/gpt/index.ts";
import { IMAGE_EPOCH, ISO_VOLUME_ID } from "./disk-layout.ts";
import { runDiskTool } from "./run-disk-tool.ts";

/** What the ISO is made of. */
export interface IsoParts {
  /** The ESP image (buildEspImage): the El Torito EFI boot image and the GPT's EFI System partition. */
  esp: string;
  /** The node's squashfs, as it is: the GPT's Linux filesystem partition, where stage 1 finds the root. */
  rootfs: string;
  /** A directory to lay the ISO 9660 tree out in (created; it holds only the ESP image). */
  treeDir: string;
}

/** The ESP image's name in the ISO 9660 tree. */
export const ISO_ESP_PATH = "esp.img";

/**
 * Writes the hybrid ISO at `output` with xorriso: a CD-ROM whose El Torito catalog names the ESP
 * image as its UEFI boot image (so firmware boots it from an optical drive), and a GPT
 * (`-appended_part_as_gpt`) with an EFI System partition over those same bytes
 * (`-efi-boot-part --efi-boot-image`) and the squashfs appended as a Linux filesystem partition, so
 * the same file written to a USB stick or attached as a disk boots from its ESP too.
 *
 * The ESP is a file of the ISO 9660 tree rather than an appended partition: El Torito records a boot
 * image's size in 16 bits of 512-byte sectors (32 MiB at most), so for our ≈ 56 MB ESP it records 0,
 * and OVMF then takes the image to run to the end of the ISO 9660 volume, which excludes appended
 * partitions: it found no file system and did not boot the CD (seen under QEMU). Inside the tree,
 * the image is the volume's last blocks and that guess is right.
 *
 * Reproducible: SOURCE_DATE_EPOCH (IMAGE_EPOCH) fixes the volume dates and uuid, from which xorriso
 * derives the GPT's GUIDs; xorriso records each file's own mtime, so the tree's are set to it too.
 */
export async function buildIso(parts: IsoParts, output: string): Promise<void> {
  await rm(output, { force: true });
  await mkdir(parts.treeDir, { recursive: true });
  const esp = join(parts.treeDir, ISO_ESP_PATH);
  await copyFile(parts.esp, esp);
  for (const path of [esp, parts.treeDir]) await utimes(path, IMAGE_EPOCH, IMAGE_EPOCH);
  await runDiskTool("xorriso", [
    "-as",
    "mkisofs",
    "-o",
    output,
    "-V",
    ISO_VOLUME_ID,
    "--modification-date=" + isoDate(IMAGE_EPOCH),
    "-e",
    ISO_ESP_PATH,
    "-no-emul-boot",
    "-efi-boot-part",
    "--efi-boot-image",
    "-append_partition",
    "3",
    PartitionType.linuxFilesystem,
    parts.rootfs,
    "-appended_part_as_gpt",
    parts.treeDir,
  ]);
}

/** A time as xorriso's `YYYYMMDDhhmmsscc` (UTC). */
function isoDate(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString(); // 1980-01-01T00:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}00`;
}
