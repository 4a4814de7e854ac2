/**
 * The GPT partition type GUIDs Stele writes, as the UEFI specification and the Discoverable
 * Partitions Specification define them; firmware and GRUB find their partitions by these.
 */
export const PartitionType = {
  /** EFI System Partition: the FAT filesystem the UEFI firmware boots from (holds the UKIs). */
  efiSystem: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
  /** BIOS boot partition: raw space where GRUB's core image lives for legacy BIOS boot. */
  biosBoot: "21686148-6449-6E6F-744E-656564454649",
  /** Linux filesystem data: BOOT-A/B, META, STATE and EPHEMERAL. */
  linuxFilesystem: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
} as const;

/**
 * Partition attribute bit 2, "legacy BIOS bootable": the flag some BIOS-mode boot code looks for to
 * pick the partition to boot. Stele sets it on the BIOS boot partition, as Talos does.
 */
export const LEGACY_BIOS_BOOTABLE = 1n << 2n;
