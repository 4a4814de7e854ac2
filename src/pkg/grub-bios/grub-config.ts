import { GrubBiosError } from "./grub-bios-error.ts";

/** A run of bytes of a partition: where a file's data lies. */
export interface PartitionExtent {
  /** Byte offset from the start of the partition; a multiple of 512. */
  offset: number;
  /** Length in bytes. */
  length: number;
}

/** What the BIOS boot entry loads. */
export interface BlocklistBootEntry {
  /** The kernel's bytes in the partition GRUB's prefix names (the UKI's `.linux` section). */
  kernel: PartitionExtent;
  /** The initramfs's bytes there (the UKI's `.initrd` section). */
  initrd: PartitionExtent;
  /** The kernel command line (the UKI's own, so both boot paths boot the same system). */
  cmdline: string;
  /** The menu entry's title. */
  title: string;
}

/**
 * grub.cfg for legacy BIOS boot of a UKI without a second copy of the kernel: the kernel and the
 * initramfs are loaded as GRUB block lists (`($root)FIRST+COUNT`, 512-byte sectors of the partition
 * $root names: the ESP, where core.img's prefix points) straight out of the UKI's sections. The
 * initramfs is rounded up to whole sectors; the kernel skips the zeros after a compressed archive.
 * GRUB's output goes to the serial port as well as the screen, as the kernel's does.
 */
export function grubBlocklistConfig(entry: BlocklistBootEntry): string {
  const list = (what: string, extent: PartitionExtent) => {
    if (extent.offset % 512 !== 0 || extent.length <= 0) {
      throw new GrubBiosError(
        "invalid-argument",
        `The ${what} does not start on a sector: byte ${extent.offset}, ${extent.length} bytes`,
        "Write the UKI with a file alignment of 512 into a FAT volume with 512-byte sectors",
      );
    }
    return `($root)${extent.offset / 512}+${Math.ceil(extent.length / 512)}`;
  };
  if (/["\\$\n]/.test(entry.cmdline) || /["\\$\n]/.test(entry.title)) {
    throw new GrubBiosError(
      "invalid-argument",
      'The kernel command line or the title holds a character GRUB would expand: one of " \\ $ or a newline',
      "Keep them to plain words",
    );
  }
  return [
    "# Written by the Stele image builder: boots the UKI's kernel and initramfs by sector.",
    "serial --unit=0 --speed=115200",
    "terminal_input console serial",
    "terminal_output console serial",
    "set timeout=0",
    `menuentry "${entry.title}" {`,
    `  linux ${list("kernel", entry.kernel)} ${entry.cmdline}`,
    `  initrd ${list("initramfs", entry.initrd)}`,
    "}",
    "",
  ].join("\n");
}
