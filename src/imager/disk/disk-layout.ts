/**
 * What Stele's bootable outputs are made of, in one place: the systemd-stub package, the unified
 * kernel image's command line, the file names of the UKI, the ESP image, the ISO and the raw disk,
 * the raw disk's size, and the fixed time every file system and archive records.
 */
import { STELE_VERSION } from "../../machinery/constants.ts";

/** The Debian 13 package that ships systemd-stub (`linuxx64.efi.stub`), the UKI's EFI program. */
export const STUB_PACKAGE = "systemd-boot-efi";
/** Where the stub lies in that package. */
export const STUB_PATH = "usr/lib/systemd/boot/efi/linuxx64.efi.stub";

/**
 * The kernel command line baked into the UKI (its `.cmdline` section), the same on every medium. The
 * KSPP boot parameters Talos applies; both consoles, ttyS0 last so /dev/console is the serial port
 * (the one QEMU tests and cloud consoles read).
 */
export const UKI_CMDLINE = "console=tty0 console=ttyS0,115200 slab_nomerge pti=on init_on_alloc=1";

/** The unified kernel image (systemd-stub + os-release + command line + kernel + initramfs). */
export const UKI_FILE = `stele-${STELE_VERSION}-amd64.efi`;
/** The FAT ESP image holding the UKI as /EFI/BOOT/BOOTX64.EFI: the ESP of the ISO and of the raw disk. */
export const ESP_FILE = `stele-${STELE_VERSION}-amd64-esp.img`;
/** The hybrid ISO (CD-ROM, USB stick, disk). */
export const ISO_FILE = `stele-${STELE_VERSION}-amd64.iso`;
/** The raw disk image with the Stele partition layout, ready to boot. */
export const RAW_FILE = `stele-${STELE_VERSION}-amd64.raw`;
/** The raw disk image compressed with zstd, for downloads. */
export const RAW_ZST_FILE = `${RAW_FILE}.zst`;
/** What the disk images were built from and their hashes. */
export const DISK_MANIFEST_FILE = "disk.json";

/** Where the firmware looks for a boot program on a removable medium or a disk without boot entries. */
export const ESP_BOOT_PATH = "EFI/BOOT/BOOTX64.EFI";

/**
 * grub.cfg in the ESP, where core.img's prefix (GRUB_PREFIX: partition 1, /grub) makes GRUB look on a
 * legacy BIOS boot. Written after the UKI, so the UKI's clusters stay where grub.cfg says.
 */
export const ESP_GRUB_CONFIG_PATH = "grub/grub.cfg";

/** The FAT volume label of the ESP image (its volume id is fixed by `mkfs.fat --invariant`). */
export const ESP_LABEL = "STELE-ESP";

/** The ESP image's path in the ISO 9660 tree (the UEFI El Torito image; the BIOS one opens it too). */
export const ISO_ESP_PATH = "esp.img";

/** GRUB's El Torito BIOS boot image in the ISO 9660 tree (buildGrubIsoImages). */
export const ISO_ELTORITO_PATH = "grub/eltorito.img";

/**
 * The El Torito image's prefix before its embedded config replaces it: the ISO 9660 tree of the
 * medium GRUB was started from (a CD, or a USB stick's whole disk), whose root the config opens.
 */
export const ISO_GRUB_PREFIX = "/grub";

/**
 * The El Torito image's embedded config: open the ESP image of the ISO 9660 tree as the loopback
 * device `esp` and make it the root, then read the ESP's own grub.cfg. That file loads the UKI's
 * sections as `($root)FIRST+COUNT`, sectors of the ESP, so with $root the loopback the one grub.cfg
 * serves the raw disk (root: GPT partition 1) and the ISO alike, on a CD or a USB stick.
 */
export const ISO_GRUB_EMBEDDED_CONFIG = [
  `loopback esp /${ISO_ESP_PATH}`,
  "set root=esp",
  "set prefix=(esp)/grub",
  `configfile (esp)/${ESP_GRUB_CONFIG_PATH}`,
  "",
].join("\n");

/**
 * The modules linked into the El Torito image, and nothing else (no module is loaded from the
 * medium): the BIOS disk driver (CDs through El Torito's drive number, USB sticks as disks), ISO 9660
 * for the tree, loopback and FAT for the ESP image, the config and menu, the Linux loader and the
 * serial terminal, as core.img has them.
 */
export const ISO_GRUB_MODULES = [
  "biosdisk",
  "iso9660",
  "loopback",
  "fat",
  "normal",
  "configfile",
  "linux",
  "echo",
  "serial",
  "terminal",
] as const;

/** The ISO 9660 volume id. */
export const ISO_VOLUME_ID = `STELE_${STELE_VERSION.replaceAll(".", "_")}`;

/**
 * The time every file system and archive records (SOURCE_DATE_EPOCH): 1980-01-01 00:00:00 UTC, the
 * earliest a FAT timestamp can hold. A fixed time, not the build's, so the same inputs give the
 * same bytes; nothing on a node reads these dates.
 */
export const IMAGE_EPOCH = 315_532_800;

/**
 * Size of each of the raw disk's BOOT-A and BOOT-B slots: room for today's root file system
 * (≈ 94 MB) and for growth across upgrades, whose new root goes into the other slot.
 */
export const RAW_BOOT_SLOT_SIZE = 256 * 1024 * 1024;

/**
 * EPHEMERAL in the raw disk image (/var): the least a node may start with, as src/pkg/gpt's default.
 * The file is sparse and STATE and EPHEMERAL are zeros, so this costs nothing on disk nor in the
 * .zst; a cloud or a user grows the disk, and machined formats EPHEMERAL on first boot.
 */
export const RAW_EPHEMERAL_SIZE = 1024 * 1024 * 1024;

/** zstd level of the compressed raw disk: its contents are already compressed (squashfs, zstd initramfs). */
export const RAW_ZSTD_LEVEL = 3;
