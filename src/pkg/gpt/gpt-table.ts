/** The logical sector sizes a GPT can be written for: 512 bytes, or 4096 for "4Kn" disks. */
export type SectorSize = 512 | 4096;

/** One partition to write: where it lies (inclusive LBAs), its type, and optionally its name and GUID. */
export interface GptPartitionSpec {
  /** Partition type GUID, e.g. {@link PartitionType}'s values. */
  type: string;
  /** Up to 36 UTF-16 code units (the entry holds 72 bytes of UTF-16LE); empty by default. */
  name?: string;
  /** First sector, inclusive. */
  firstLba: number;
  /** Last sector, inclusive, as GPT records it. */
  lastLba: number;
  /** Unique partition GUID; random unless given, so tests can be deterministic. */
  guid?: string;
  /** The 64 attribute bits (e.g. {@link LEGACY_BIOS_BOOTABLE}); 0 by default. */
  attributes?: bigint;
}

/** A partition table to write; see {@link writeGpt}. */
export interface GptLayout {
  /** 512 by default, or the kernel's logical sector size when writing to a block device. */
  sectorSize?: SectorSize;
  /** Disk GUID; random unless given. */
  diskGuid?: string;
  /** Partition entries in the array: 128 by default, the minimum UEFI allows. */
  entryCount?: number;
  /** Partitions in entry order: the first is partition 1. */
  partitions: GptPartitionSpec[];
  /**
   * Up to 440 bytes of boot code for the protective MBR (legacy BIOS boot through GRUB's boot.img);
   * zeros by default.
   */
  bootCode?: Uint8Array;
}

/** A partition as it is on disk. */
export interface GptPartition {
  /** The partition number: its 1-based index in the entry array (sda3 is number 3). */
  number: number;
  type: string;
  guid: string;
  name: string;
  firstLba: number;
  lastLba: number;
  attributes: bigint;
}

/** A GPT as it is on disk (what {@link readGpt} returns and {@link writeGpt} wrote). */
export interface GptTable {
  sectorSize: SectorSize;
  /** Sectors on the disk (its size divided by the sector size). */
  diskSectors: number;
  diskGuid: string;
  /** The first sector a partition may use (after the primary header and entries). */
  firstUsableLba: number;
  /** The last sector a partition may use (before the backup entries and header). */
  lastUsableLba: number;
  /** Entries in the array, used or not. */
  entryCount: number;
  /** The used entries, by partition number. */
  partitions: GptPartition[];
}
