import { readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { STELE_VERSION } from "../../machinery/constants.ts";
import { SteleError } from "../../machinery/errors.ts";
import { contiguousFatFile } from "../../pkg/fat/index.ts";
import { openBlockIo } from "../../pkg/gpt/index.ts";
import { grubBlocklistConfig, type PartitionExtent } from "../../pkg/grub-bios/index.ts";
import { readPeSections } from "../../pkg/pe/index.ts";
import { ESP_BOOT_PATH, ESP_GRUB_CONFIG_PATH, ESP_LABEL, IMAGE_EPOCH } from "./disk-layout.ts";
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
 * boots on a medium without boot entries, and /grub/grub.cfg, which GRUB's core.img reads on a legacy
 * BIOS boot (espGrubConfig). Sized to the UKI (whole MiB, ≈ 2% for the FATs and 1 MiB spare): the
 * same image is the ISO's El Torito boot image and the raw disk's ESP, and the installer copies it
 * into the 100 MiB EFI partition. Reproducible: `mkfs.fat --invariant` fixes the volume id and dates,
 * mtools records IMAGE_EPOCH for the directories and the files (`mcopy -m` with the source's mtime set
 * to it) in UTC.
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
  // The UKI goes first into the empty volume, so its clusters follow each other; grub.cfg after it.
  await runDiskTool("mcopy", ["-m", "-i", output, uki, `::/${ESP_BOOT_PATH}`]);
  const config = `${output}.grub.cfg`;
  try {
    await writeFile(config, espGrubConfig(output, await readFile(uki)));
    await utimes(config, IMAGE_EPOCH, IMAGE_EPOCH);
    const [grubDir] = ESP_GRUB_CONFIG_PATH.split("/");
    await runDiskTool("mmd", ["-i", output, `::/${grubDir}`]);
    await runDiskTool("mcopy", ["-m", "-i", output, config, `::/${ESP_GRUB_CONFIG_PATH}`]);
  } finally {
    await rm(config, { force: true });
  }
}

/**
 * grub.cfg for the ESP image at `esp`, whose /EFI/BOOT/BOOTX64.EFI is `uki`: GRUB boots the UKI's own
 * `.linux` and `.initrd` sections by sector (no second copy of the kernel) with the UKI's `.cmdline`.
 * The sections start on 512-byte boundaries of the file (the PE file alignment) and the file is one
 * run of clusters, so each section is a run of the partition's sectors; a fragmented UKI is refused.
 */
export function espGrubConfig(esp: string, uki: Uint8Array): string {
  const io = openBlockIo(esp);
  let file: { offset: number; size: number };
  try {
    file = contiguousFatFile(io, ESP_BOOT_PATH);
  } finally {
    io.close();
  }
  if (file.size !== uki.length) {
    throw new SteleError(
      "internal",
      `The ESP's ${ESP_BOOT_PATH} is ${file.size} bytes, the UKI ${uki.length}`,
      "Build the disk images again",
    );
  }
  const sections = new Map(readPeSections(uki).map((s) => [s.name, s]));
  const extent = (name: string): PartitionExtent => {
    const section = sections.get(name);
    if (section === undefined) {
      throw new SteleError("internal", `The UKI has no ${name} section`, "Build the UKI with buildUki");
    }
    return { offset: file.offset + section.pointerToRawData, length: section.data.length };
  };
  return grubBlocklistConfig({
    kernel: extent(".linux"),
    initrd: extent(".initrd"),
    cmdline: Buffer.from(sections.get(".cmdline")?.data ?? []).toString("utf8"),
    title: `Stele ${STELE_VERSION}`,
  });
}
