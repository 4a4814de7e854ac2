/**
 * Legacy BIOS boot through GRUB, written in plain TypeScript: boot.img's code in the MBR, core.img in
 * the BIOS boot partition (what grub-bios-setup does), and the grub.cfg that boots a UKI's kernel and
 * initramfs by sector.
 */
export { GrubBiosError, type GrubBiosErrorCode } from "./grub-bios-error.ts";
export { BOOT_IMG, DISKBOOT, grubBootCode, grubCoreImage } from "./grub-boot-code.ts";
export { type BlocklistBootEntry, grubBlocklistConfig, type PartitionExtent } from "./grub-config.ts";
export { type GrubBiosImages, writeGrubBios } from "./write-grub-bios.ts";
