import { join } from "node:path";
import type { QemuBoot } from "./qemu-cluster-plan.ts";
import type { QemuNodeDrive } from "./qemu-node-args.ts";

/** The per-cluster copy of the root image that direct-boot VMs share read-only. */
export const CLUSTER_ROOTFS = "rootfs.sqsh";
/** The cluster's image-cache disk (ext4 labelled IMAGECACHE holding etcd.oci.tar), shared read-only by every VM. */
export const CLUSTER_IMAGE_CACHE_DISK = "image-cache.ext4";

/**
 * The virtio disks of one cluster VM, in the order the guest names them (vda, vdb, …). The node's
 * own disks come first, so that UEFI's raw disk (the disk machined grows and boots from) and direct
 * boot's root image stay vda, and direct boot's data disk vdb, whatever is added later; the shared
 * image cache comes last and is read-only, since every VM of the cluster opens the same file.
 */
export function clusterNodeDrives(
  boot: QemuBoot,
  dirs: { clusterDir: string; nodeDir: string },
): QemuNodeDrive[] {
  const own =
    boot === "uefi"
      ? [{ file: join(dirs.nodeDir, "disk.raw") }]
      : [
          { file: join(dirs.clusterDir, CLUSTER_ROOTFS), readOnly: true },
          { file: join(dirs.nodeDir, "data.raw") },
        ];
  return [...own, { file: join(dirs.clusterDir, CLUSTER_IMAGE_CACHE_DISK), readOnly: true }];
}
