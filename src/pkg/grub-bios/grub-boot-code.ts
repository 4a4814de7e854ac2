import { GrubBiosError } from "./grub-bios-error.ts";

/**
 * Offsets in GRUB's i386-pc boot.img (include/grub/i386/pc/boot.h): the LBA of core.img's first
 * sector (u64), the boot drive byte (0xFF: the drive the BIOS passed in DL), and the 2-byte jump
 * that checks the drive number, which grub-bios-setup replaces with NOPs on hard disks because some
 * BIOSes pass 0x00 or 0x01 when they booted 0x80.
 */
export const BOOT_IMG = {
  kernelSector: 0x5c,
  bootDrive: 0x64,
  driveCheck: 0x66,
  /** Where the MBR's disk signature starts: boot code ends here; the partition table follows. */
  codeEnd: 440,
} as const;

/**
 * Offsets in core.img's first sector (diskboot.img): its block list grows down from the end of the
 * sector in 12-byte entries (start LBA u64, sector count u16, load segment u16); the first entry
 * says where the rest of core.img is, and a zero count ends the list.
 */
export const DISKBOOT = {
  firstBlock: 512 - 12,
  entrySize: 12,
  /** Where diskboot loads core.img's second sector: GRUB_BOOT_I386_PC_KERNEL_SEG (0x800) + 512 >> 4. */
  segment: 0x820,
} as const;

const SECTOR = 512;

/**
 * The MBR boot code for a disk whose core.img starts at `coreSector`: boot.img's first 440 bytes,
 * patched as grub-bios-setup does for a hard disk (core.img's LBA, boot drive 0xFF, the drive-check
 * jump as NOPs). The caller writes it over the MBR's first 440 bytes, leaving the disk signature and
 * the partition table (bytes 440–511) as they are.
 */
export function grubBootCode(bootImg: Uint8Array, coreSector: number): Uint8Array {
  if (bootImg.length !== SECTOR || bootImg[510] !== 0x55 || bootImg[511] !== 0xaa) {
    throw new GrubBiosError(
      "invalid-argument",
      `Not GRUB's boot.img: ${bootImg.length} bytes${bootImg.length === SECTOR ? " without the 55AA signature" : ""}`,
      "Take boot.img from /usr/lib/grub/i386-pc (Debian's grub-pc-bin)",
    );
  }
  // The jump over the BPB (EB 63) that every GRUB boot.img starts with.
  if (bootImg[0] !== 0xeb || bootImg[BOOT_IMG.driveCheck] !== 0xeb) {
    throw new GrubBiosError(
      "invalid-argument",
      "Not GRUB's boot.img: its first bytes or its drive-check jump are not where GRUB 2 puts them",
      "Take boot.img from /usr/lib/grub/i386-pc (Debian's grub-pc-bin)",
    );
  }
  const code = Uint8Array.from(bootImg.subarray(0, BOOT_IMG.codeEnd));
  new DataView(code.buffer).setBigUint64(BOOT_IMG.kernelSector, BigInt(coreSector), true);
  code[BOOT_IMG.bootDrive] = 0xff;
  code[BOOT_IMG.driveCheck] = 0x90;
  code[BOOT_IMG.driveCheck + 1] = 0x90;
  return code;
}

/**
 * core.img ready to lie at `firstSector` of the disk: padded to whole sectors, with diskboot's block
 * list pointing at the sectors that follow (`firstSector + 1`, all the rest, segment 0x820) and
 * ended by a zero entry, as grub-bios-setup writes it into a BIOS boot partition (without its
 * optional Reed-Solomon codes, which need GRUB's encoder).
 */
export function grubCoreImage(coreImg: Uint8Array, firstSector: number): Uint8Array {
  const sectors = Math.ceil(coreImg.length / SECTOR);
  if (coreImg.length <= SECTOR || sectors > 0xffff) {
    throw new GrubBiosError(
      "invalid-argument",
      `Not a GRUB i386-pc core.img: ${coreImg.length} bytes`,
      "Make core.img with grub-mkimage -O i386-pc",
    );
  }
  const image = new Uint8Array(sectors * SECTOR);
  image.set(coreImg);
  const view = new DataView(image.buffer);
  const first = DISKBOOT.firstBlock;
  // grub-mkimage leaves the list at "sector 2, the rest": a list that says otherwise is not diskboot's.
  if (view.getUint16(first + 10, true) !== DISKBOOT.segment) {
    throw new GrubBiosError(
      "invalid-argument",
      "Not a GRUB i386-pc core.img: its first sector has no diskboot block list",
      "Make core.img with grub-mkimage -O i386-pc (its first sector is diskboot.img)",
    );
  }
  view.setBigUint64(first, BigInt(firstSector + 1), true);
  view.setUint16(first + 8, sectors - 1, true);
  view.setUint16(first + 10, DISKBOOT.segment, true);
  image.fill(0, first - DISKBOOT.entrySize, first);
  return image;
}
