import { type BootImages, ensureBootImages } from "../../imager/boot/index.ts";
import { ensureDiskImages } from "../../imager/disk/index.ts";
import type { QemuBoot } from "./qemu-cluster-plan.ts";

/** The images a QEMU cluster boots: the direct-boot set always, the raw disk image for UEFI. */
export interface VmImages extends BootImages {
  /** The raw disk image (`stele-*.raw`), for `--boot uefi`. */
  raw?: string;
}

/** Options of ensureVmImages. */
export interface EnsureVmImagesOptions {
  boot: QemuBoot;
  outputDir: string;
  cacheDir?: string;
  onProgress?: (message: string) => void;
}

/**
 * Builds (or finds current) the images the cluster's VMs boot: kernel, initramfs and root image
 * for direct boot (the kernel also serves the KVM trial boot), plus the raw disk image for UEFI.
 * Only what the boot needs is built: the disk images take minutes on a cold cache.
 */
export async function ensureVmImages(options: EnsureVmImagesOptions): Promise<VmImages> {
  const common = {
    outputDir: options.outputDir,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
  if (options.boot === "direct") return ensureBootImages(common);
  return ensureDiskImages(common);
}
