import { type GptLayout, steleLayout } from "../../../pkg/gpt/index.ts";

const MiB = 1024 * 1024;

/**
 * The BOOT slot sizes the installer tries, largest first. 1 GiB is Talos's size and leaves room for
 * a root file system many times today's (≈ 80 MB squashfs); a small disk (a test VM's 3 GiB) gets
 * 512 or 256 MiB slots rather than a refusal, since EPHEMERAL needs its 1 GiB more than the slots
 * need headroom. A slot is never smaller than twice the running squashfs, so the next version fits.
 */
export const BOOT_SLOT_SIZES = [1024 * MiB, 512 * MiB, 256 * MiB] as const;

/**
 * The Stele layout for a disk of `diskSize` bytes with the largest slot of {@link BOOT_SLOT_SIZES}
 * that fits and holds twice `squashfsSize`. A disk too small for any is refused with steleLayout's
 * error for the smallest usable slot, which names the size needed.
 */
export function installLayout(
  diskSize: number,
  options: { squashfsSize: number; sectorSize?: 512 | 4096 },
): { layout: GptLayout; bootSize: number } {
  const usable = BOOT_SLOT_SIZES.filter((size) => size >= 2 * options.squashfsSize);
  const sizes = usable.length > 0 ? usable : [Math.ceil((2 * options.squashfsSize) / MiB) * MiB];
  let lastError: unknown;
  for (const bootSize of sizes) {
    try {
      return { layout: steleLayout(diskSize, { bootSize, sectorSize: options.sectorSize ?? 512 }), bootSize };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
