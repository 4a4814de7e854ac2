import { rm, stat, utimes } from "node:fs/promises";
import { ESP_BOOT_PATH, ESP_LABEL, IMAGE_EPOCH } from "./disk-layout.ts";
import { runDiskTool } from "./run-disk-tool.ts";

const MiB = 1024 * 1024;

/**
 * The least size of the ESP image: FAT32 needs 65,525 clusters, which with 512-byte clusters is
 * ≈ 33 MB; UEFI prefers FAT32 for an ESP (FAT12/16 only on removable media), so the image is never
 * smaller.
 */
const MIN_ESP_SIZE = 36 * MiB;

/**
 * Writes a FAT32 ESP image at `output` holding `uki` as /EFI/BOOT/BOOTX64.EFI, the path UEFI firmware
 * boots on a medium without boot entries. Sized to the UKI (whole MiB, ≈ 2% for the FATs and
 * 1 MiB spare): the same image is the ISO's El Torito boot image and the raw disk's ESP, and the
 * installer copies it into the 100 MiB EFI partition. Reproducible: `mkfs.fat --invariant` fixes the
 * volume id and dates, mtools records IMAGE_EPOCH for the directories and the file (`mcopy -m` with
 * the source's mtime set to it) in UTC.
 */
export async function buildEspImage(uki: string, output: string): Promise<void> {
  const ukiSize = (await stat(uki)).size;
  const size = Math.max(MIN_ESP_SIZE, Math.ceil((ukiSize * 1.02 + MiB) / MiB) * MiB);
  await rm(output, { force: true });
  await runDiskTool("mkfs.fat", [
    "-C",
    "-F",
    "32",
    "-n",
    ESP_LABEL,
    "--invariant",
    output,
    String(size / 1024),
  ]);
  await utimes(uki, IMAGE_EPOCH, IMAGE_EPOCH);
  const [efi, boot] = ESP_BOOT_PATH.split("/");
  await runDiskTool("mmd", ["-i", output, `::/${efi}`, `::/${efi}/${boot}`]);
  await runDiskTool("mcopy", ["-m", "-i", output, uki, `::/${ESP_BOOT_PATH}`]);
}
