import { copyFile, mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PartitionType } from "../../pkg/gpt/index.ts";
import type { GrubIsoImages } from "../build-grub-images.ts";
import { IMAGE_EPOCH, ISO_ELTORITO_PATH, ISO_ESP_PATH, ISO_VOLUME_ID } from "./disk-layout.ts";
import { runDiskTool } from "./run-disk-tool.ts";

/** What the ISO is made of. */
export interface IsoParts {
  /** The ESP image (buildEspImage): the El Torito EFI boot image and the GPT's EFI System partition. */
  esp: string;
  /** The node's squashfs, as it is: the GPT's Linux filesystem partition, where stage 1 finds the root. */
  rootfs: string;
  /** GRUB's El Torito BIOS image and hybrid MBR (buildGrubIsoImages), for legacy BIOS machines. */
  grub: GrubIsoImages;
  /** A directory to lay the ISO 9660 tree out in (created; it holds only the ESP and GRUB's image). */
  treeDir: string;
}

/**
 * Writes the hybrid ISO at `output` with xorriso: a CD-ROM whose El Torito catalog names GRUB's
 * image as its BIOS boot image and the ESP image as its UEFI one (so either firmware boots it from
 * an optical drive), GRUB's boot_hybrid.img as the MBR boot code (a BIOS boots the file written to a
 * USB stick through the same GRUB image), and a GPT (`-appended_part_as_gpt`) with an EFI System
 * partition over the ESP's bytes (`-efi-boot-part --efi-boot-image`) and the squashfs appended as a
 * Linux filesystem partition, so the same file on a USB stick or attached as a disk boots from its
 * ESP under UEFI too.
 *
 * Under a BIOS, GRUB opens the ESP image as a loopback device and reads the ESP's own grub.cfg
 * (ISO_GRUB_EMBEDDED_CONFIG), which boots the UKI's sections by sector, as on the raw disk.
 * `-boot-info-table` and `--grub2-boot-info` patch the image's own sector into it, as grub-mkrescue
 * has xorriso do: cdboot.img needs the first, boot_hybrid.img the second.
 *
 * The ESP is a file of the ISO 9660 tree rather than an appended partition: El Torito records a boot
 * image's size in 16 bits of 512-byte sectors (32 MiB at most), so for our ≈ 56 MB ESP it records 0,
 * and OVMF then takes the image to run to the end of the ISO 9660 volume, which excludes appended
 * partitions: it found no file system and did not boot the CD (seen under QEMU). Inside the tree,
 * that guess covers the whole FAT volume (and the few blocks after it, which FAT ignores).
 *
 * Reproducible: SOURCE_DATE_EPOCH (IMAGE_EPOCH) fixes the volume dates and uuid, from which xorriso
 * derives the GPT's GUIDs; xorriso records each file's own mtime, so the tree's are set to it too.
 */
export async function buildIso(parts: IsoParts, output: string): Promise<void> {
  await rm(output, { force: true });
  await mkdir(parts.treeDir, { recursive: true });
  const esp = join(parts.treeDir, ISO_ESP_PATH);
  const eltorito = join(parts.treeDir, ISO_ELTORITO_PATH);
  // The MBR code is not a file of the ISO: it lies beside the tree.
  const hybridMbr = `${parts.treeDir}.mbr`;
  try {
    await copyFile(parts.esp, esp);
    await mkdir(dirname(eltorito), { recursive: true });
    await writeFile(eltorito, parts.grub.eltoritoImg);
    await writeFile(hybridMbr, parts.grub.hybridMbr);
    for (const path of [esp, eltorito, dirname(eltorito), parts.treeDir]) {
      await utimes(path, IMAGE_EPOCH, IMAGE_EPOCH);
    }
    await runDiskTool("xorriso", [
      "-as",
      "mkisofs",
      "-o",
      output,
      "-V",
      ISO_VOLUME_ID,
      "--modification-date=" + isoDate(IMAGE_EPOCH),
      // BIOS: GRUB's El Torito image, loaded as 4 sectors (cdboot.img loads the rest of it itself).
      "-b",
      ISO_ELTORITO_PATH,
      "-no-emul-boot",
      "-boot-load-size",
      "4",
      "-boot-info-table",
      "--grub2-boot-info",
      "--grub2-mbr",
      hybridMbr,
      // UEFI: the ESP image.
      "-eltorito-alt-boot",
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
  } finally {
    await rm(hybridMbr, { force: true });
  }
}

/** A time as xorriso's `YYYYMMDDhhmmsscc` (UTC). */
function isoDate(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString(); // 1980-01-01T00:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}00`;
}
