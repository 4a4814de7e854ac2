/**
 * The ext4 label of an image-cache volume: machined on metal mounts the file system carrying it at
 * `/system/image-cache`, whose archives the system containerd imports. Talos names its volume the
 * same. A label, not a partition name, so the cache can be a whole disk (the QEMU provisioner's) or a
 * partition of any disk. A file of its own so that the provisioner that builds such a disk shares the
 * constant without loading machined's storage code.
 */
export const IMAGE_CACHE_LABEL = "IMAGECACHE";
