import { GptError } from "./gpt-error.ts";
import { gptGeometry, MIN_ENTRY_COUNT } from "./gpt-format.ts";
import type { GptLayout, GptPartitionSpec, SectorSize } from "./gpt-table.ts";
import { LEGACY_BIOS_BOOTABLE, PartitionType } from "./partition-types.ts";

/**
 * The partition names (GPT labels) of a Stele disk, in disk order. The node finds its partitions by
 * these names, as Talos does, so they never change.
 */
export const SteleLabel = {
  efi: "EFI",
  bios: "BIOS",
  bootA: "BOOT-A",
  bootB: "BOOT-B",
  meta: "META",
  state: "STATE",
  ephemeral: "EPHEMERAL",
} as const;

const MiB = 1024 * 1024;

/**
 * The fixed partition sizes: an ESP large enough for two UKIs (one per slot), 1 MiB for GRUB's core
 * image, 1 MiB for META's two copies, 100 MiB for STATE (machine config and identity).
 */
export const STELE_PARTITION_SIZES = {
  efi: 100 * MiB,
  bios: 1 * MiB,
  meta: 1 * MiB,
  state: 100 * MiB,
} as const;

/** The least EPHEMERAL (/var: etcd, container images, logs) a disk must leave, unless told otherwise. */
export const DEFAULT_MIN_EPHEMERAL_SIZE = 1024 * MiB;

/** Options of {@link steleLayout}. */
export interface SteleLayoutOptions {
  /** Size of each of BOOT-A and BOOT-B in bytes, rounded up to a whole MiB. */
  bootSize: number;
  /** 512 by default; 4096 for a 4Kn disk. */
  sectorSize?: SectorSize;
  /** The least EPHEMERAL may be, rounded up to a whole MiB; {@link DEFAULT_MIN_EPHEMERAL_SIZE} by default. */
  minEphemeralSize?: number;
}

/**
 * The Stele partition plan for a disk of `diskSize` bytes, ready for {@link writeGpt}: EFI (100 MiB,
 * ESP), BIOS (1 MiB, BIOS boot, legacy-BIOS-bootable), BOOT-A and BOOT-B (`bootSize` each), META
 * (1 MiB), STATE (100 MiB) and EPHEMERAL (the rest), each starting and ending on a 1 MiB boundary, the
 * alignment every partitioning tool uses so partitions fall on erase-block and RAID-stripe boundaries.
 * A disk too small for the plan is refused with a GptError (`failed-precondition`) naming the size
 * needed. Partition GUIDs are left for writeGpt to generate.
 */
export function steleLayout(diskSize: number, options: SteleLayoutOptions): GptLayout {
  const sectorSize = options.sectorSize ?? 512;
  const minEphemeralSize = options.minEphemeralSize ?? DEFAULT_MIN_EPHEMERAL_SIZE;
  for (const [what, value] of [
    ["boot slot size", options.bootSize],
    ["minimum EPHEMERAL size", minEphemeralSize],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new GptError("invalid-argument", `Invalid ${what}: ${value}`, "Give a positive number of bytes");
    }
  }
  if (sectorSize !== 512 && sectorSize !== 4096) {
    throw new GptError("invalid-argument", `Unsupported sector size: ${sectorSize} bytes`, "Use 512 or 4096");
  }
  const align = MiB / sectorSize;
  const sectors = (bytes: number) => Math.ceil(bytes / MiB) * align;
  const fixed: Array<Omit<GptPartitionSpec, "firstLba" | "lastLba"> & { sectors: number }> = [
    { name: SteleLabel.efi, type: PartitionType.efiSystem, sectors: sectors(STELE_PARTITION_SIZES.efi) },
    {
      name: SteleLabel.bios,
      type: PartitionType.biosBoot,
      sectors: sectors(STELE_PARTITION_SIZES.bios),
      attributes: LEGACY_BIOS_BOOTABLE,
    },
    { name: SteleLabel.bootA, type: PartitionType.linuxFilesystem, sectors: sectors(options.bootSize) },
    { name: SteleLabel.bootB, type: PartitionType.linuxFilesystem, sectors: sectors(options.bootSize) },
    {
      name: SteleLabel.meta,
      type: PartitionType.linuxFilesystem,
      sectors: sectors(STELE_PARTITION_SIZES.meta),
    },
    {
      name: SteleLabel.state,
      type: PartitionType.linuxFilesystem,
      sectors: sectors(STELE_PARTITION_SIZES.state),
    },
  ];
  const partitions: GptPartitionSpec[] = [];
  let next = align;
  for (const { sectors: count, ...spec } of fixed) {
    partitions.push({ ...spec, firstLba: next, lastLba: next + count - 1 });
    next += count;
  }
  const diskSectors = Math.floor(diskSize / sectorSize);
  const { entrySectors, lastUsableLba } = gptGeometry(diskSectors, sectorSize, MIN_ENTRY_COUNT);
  // EPHEMERAL ends on a 1 MiB boundary too, as sgdisk advises for disk encryption (LUKS) on it.
  const ephemeralEnd = Math.floor((lastUsableLba + 1) / align) * align - 1;
  const minEphemeralSectors = Math.ceil(minEphemeralSize / MiB) * align;
  if (ephemeralEnd - next + 1 < minEphemeralSectors) {
    const needed = (next + minEphemeralSectors + entrySectors + 1) * sectorSize;
    const neededMiB = Math.ceil(needed / MiB);
    throw new GptError(
      "failed-precondition",
      `Disk too small for Stele: ${diskSize} bytes (${Math.floor(diskSize / MiB)} MiB), the layout needs at least ${needed} bytes (${neededMiB} MiB)`,
      `Use a disk of at least ${neededMiB} MiB, or smaller boot slots`,
    );
  }
  partitions.push({
    name: SteleLabel.ephemeral,
    type: PartitionType.linuxFilesystem,
    firstLba: next,
    lastLba: ephemeralEnd,
  });
  return { sectorSize, partitions };
}
