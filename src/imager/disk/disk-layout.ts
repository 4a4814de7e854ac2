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
