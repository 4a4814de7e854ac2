import { type BlockIo, type GptTable, PartitionType } from "../gpt/index.ts";
import { GrubBiosError } from "./grub-bios-error.ts";
import { grubBootCode, grubCoreImage } from "./grub-boot-code.ts";

/** GRUB's two i386-pc images, as grub-mkimage and grub-pc-bin provide them. */
export interface GrubBiosImages {
  /** The 512-byte MBR boot code (/usr/lib/grub/i386-pc/boot.img). */
  bootImg: Uint8Array;
  /** The core image (grub-mkimage -O i386-pc), diskboot.img first. */
  coreImg: Uint8Array;
}

/**
 * Makes a GPT disk boot through GRUB under a legacy BIOS, as `grub-install --target=i386-pc` would:
 * core.img into the BIOS boot partition of `table` (already written to `io`), then boot.img's code
 * into the MBR's first 440 bytes, pointing at it. The protective MBR's disk signature and partition
 * entries are kept, so the GPT stays valid. Needs 512-byte sectors (BIOS int 13h boot code reads
 * those); a disk without a large enough BIOS boot partition is refused before anything is written.
 * Returns the LBA core.img starts at and its length in sectors.
 */
export function writeGrubBios(
  io: BlockIo,
  table: GptTable,
  images: GrubBiosImages,
): { coreSector: number; coreSectors: number } {
  if (table.sectorSize !== 512) {
    throw new GrubBiosError(
      "failed-precondition",
      `Cannot install GRUB for legacy BIOS on ${io.name}: its sectors are ${table.sectorSize} bytes`,
      "Boot this disk through UEFI: BIOS boot code reads 512-byte sectors",
    );
  }
  const bios = table.partitions.find((p) => p.type.toUpperCase() === PartitionType.biosBoot);
  if (bios === undefined) {
    throw new GrubBiosError(
      "failed-precondition",
      `Cannot install GRUB for legacy BIOS on ${io.name}: no BIOS boot partition`,
      "Partition the disk with the Stele layout (steleLayout), which has one",
    );
  }
  const core = grubCoreImage(images.coreImg, bios.firstLba);
  const room = (bios.lastLba - bios.firstLba + 1) * 512;
  if (core.length > room) {
    throw new GrubBiosError(
      "failed-precondition",
      `Cannot install GRUB for legacy BIOS on ${io.name}: core.img is ${core.length} bytes, the BIOS boot partition ${room}`,
      "Make core.img smaller (fewer grub-mkimage modules)",
    );
  }
  const code = grubBootCode(images.bootImg, bios.firstLba);
  io.write(bios.firstLba * 512, core);
  const mbr = io.read(0, 512);
  mbr.set(code, 0);
  io.write(0, mbr);
  return { coreSector: bios.firstLba, coreSectors: core.length / 512 };
}
