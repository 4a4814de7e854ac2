/**
 * The bootable media of a node, built beside the boot images: the unified kernel image, the ESP
 * image holding it, the hybrid ISO and the raw disk image (with a zstd copy).
 */
export {
  DISK_MANIFEST_FILE,
  ESP_BOOT_PATH,
  ESP_FILE,
  ISO_FILE,
  RAW_FILE,
  RAW_ZST_FILE,
  UKI_CMDLINE,
  UKI_FILE,
} from "./disk-layout.ts";
export {
  type DiskImages,
  type DiskManifest,
  type EnsureDiskImagesOptions,
  ensureDiskImages,
  readDiskManifest,
} from "./ensure-disk-images.ts";
