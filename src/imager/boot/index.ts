/**
 * The boot images of a node: the Debian 13 cloud kernel and an initramfs whose TypeScript stage-1
 * init mounts the node's squashfs and switches root into machined, built beside the node images.
 */
export {
  BOOT_MANIFEST_FILE,
  BOOT_MODULES,
  DEFAULT_INITRAMFS_ZSTD_LEVEL,
  INITRAMFS_FILE,
  VMLINUZ_FILE,
} from "./boot-layout.ts";
export {
  type BootImages,
  type BootManifest,
  type EnsureBootImagesOptions,
  ensureBootImages,
  readBootManifest,
} from "./ensure-boot-images.ts";
