/**
 * FAT12/16/32 volumes, read in plain TypeScript: where a file's bytes lie, so that a boot loader
 * can read it by sector numbers (GRUB's blocklists for legacy BIOS boot of the ESP's UKI).
 */
export { contiguousFatFile } from "./contiguous-fat-file.ts";
export { FatError, type FatErrorCode } from "./fat-error.ts";
export { type FatSource, type FatVolume, readFatVolume } from "./fat-volume.ts";
export { type FatFile, findFatFile } from "./find-fat-file.ts";
