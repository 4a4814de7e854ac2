/**
 * The image builder: a node's root filesystem (squashfs) and the etcd OCI image, built
 * reproducibly from Debian 13 packages, the pinned Node.js and the Stele bundle.
 */
export { ETCD_IMAGE_ELF_ALLOWLIST, FORBIDDEN_PROGRAM, ROOTFS_ELF_ALLOWLIST } from "./elf-allowlist.ts";
export {
  defaultAptCacheDir,
  type EnsureNodeImagesOptions,
  ETCD_IMAGE_FILE,
  ensureNodeImages,
  type NodeImages,
  ROOTFS_FILE,
} from "./ensure-node-images.ts";
export { IMAGES_MANIFEST_FILE, type ImagesManifest, readImagesManifest } from "./images-manifest.ts";
