import {
  type GptLayout,
  type GptTable,
  openBlockIo,
  readGpt,
  SteleLabel,
  writeGpt,
} from "../../../pkg/gpt/index.ts";

/** The bytes of a GPT entry: the entry arrays' size in sectors follows from it. */
const GPT_ENTRY_BYTES = 128;
/** Partitions end on a MiB boundary, as the installer and every partitioning tool align them. */
const ALIGNMENT_BYTES = 2 ** 20;
/** The boot code of the protective MBR (legacy BIOS boot through GRUB): kept when the table is rewritten. */
const MBR_BOOT_CODE_BYTES = 440;

/**
 * What a disk that is larger than its GPT says needs: the same table rewritten for the disk's size
 * (backup header at the last sector), with EPHEMERAL reaching the end of the disk when `growEphemeral`
 * (it is still blank) and it is the last partition. Undefined when the GPT already spans the disk.
 * Pure: the table is readGpt's (its `diskSectors` is the disk's size now, its `lastUsableLba` the
 * header's, from the size the image was built for).
 */
export function planDiskGrowth(
  table: GptTable,
  options: { growEphemeral: boolean },
): { layout: GptLayout; ephemeral: { number: number; from: number; to: number } | undefined } | undefined {
  const entrySectors = Math.ceil((table.entryCount * GPT_ENTRY_BYTES) / table.sectorSize);
  const lastUsable = table.diskSectors - 2 - entrySectors;
  if (table.lastUsableLba >= lastUsable) return undefined;
  const last = table.partitions.reduce<GptTable["partitions"][number] | undefined>(
    (found, p) => (found === undefined || p.lastLba > found.lastLba ? p : found),
    undefined,
  );
  const alignedEnd =
    Math.floor(((lastUsable + 1) * table.sectorSize) / ALIGNMENT_BYTES) *
      (ALIGNMENT_BYTES / table.sectorSize) -
    1;
  let ephemeral: { number: number; from: number; to: number } | undefined;
  if (options.growEphemeral && last?.name === SteleLabel.ephemeral && alignedEnd > last.lastLba) {
    ephemeral = { number: last.number, from: last.lastLba, to: alignedEnd };
  }
  const layout: GptLayout = {
    sectorSize: table.sectorSize,
    diskGuid: table.diskGuid,
    entryCount: table.entryCount,
    // Every entry as it was, by number: writeGpt numbers them by position, so gaps stay gaps only
    // if there are none, which a Stele disk never has (refused below otherwise).
    partitions: table.partitions.map((p) => ({
      type: p.type,
      name: p.name,
      guid: p.guid,
      firstLba: p.firstLba,
      lastLba: ephemeral?.number === p.number ? ephemeral.to : p.lastLba,
      attributes: p.attributes,
    })),
  };
  return { layout, ephemeral };
}

/** Options of {@link growBootDisk}. */
export interface GrowBootDiskOptions {
  /** Whether EPHEMERAL is still blank (no ext superblock: the raw image's first boot). */
  ephemeralBlank: boolean;
  /** One console line per decision. */
  log: (line: string) => void;
}

/** What {@link growBootDisk} changed. */
export interface BootDiskGrowth {
  /** The GPT was rewritten to span the disk. */
  readonly rewritten: boolean;
  /** EPHEMERAL's new byte range on the disk, when it grew. */
  readonly ephemeral?: { readonly number: number; readonly offset: number; readonly size: number };
}

/**
 * Makes a boot disk's GPT span the whole disk, as Talos does on first boot: a raw image written to
 * a bigger disk (`dd`, or the QEMU provisioner's truncate to `--disk`) keeps its backup GPT where
 * the image ended. The table is rewritten with the backup header at the last sector (same disk
 * GUID, partition GUIDs, names, types and attributes, and the MBR's boot code), and EPHEMERAL, if
 * still blank and last, grows to the end of the disk (1 MiB aligned) before it is formatted. An
 * EPHEMERAL already formatted keeps its size (growing a file system in place is another matter): one
 * line says so. The kernel still holds the old table afterwards: the caller makes it re-read it.
 * `disk` is a block device or, in tests, a disk image file.
 */
export function growBootDisk(disk: string, options: GrowBootDiskOptions): BootDiskGrowth {
  const { table } = readGpt(disk);
  const numbers = table.partitions.map((p) => p.number);
  if (numbers.some((n, i) => n !== i + 1)) {
    options.log(`${disk}: the GPT has gaps between its entries (${numbers.join(", ")}): not rewritten`);
    return { rewritten: false };
  }
  const plan = planDiskGrowth(table, { growEphemeral: options.ephemeralBlank });
  if (plan === undefined) return { rewritten: false };
  const io = openBlockIo(disk, { writable: true });
  try {
    const bootCode = io.read(0, MBR_BOOT_CODE_BYTES);
    writeGpt(io, { ...plan.layout, bootCode });
  } finally {
    io.close();
  }
  const gib = (sectors: number) => ((sectors * table.sectorSize) / 2 ** 30).toFixed(2);
  options.log(
    `${disk} is ${gib(table.diskSectors)} GiB, its GPT ended at ${gib(table.lastUsableLba + 1)} GiB: backup GPT moved to the end`,
  );
  if (plan.ephemeral === undefined) {
    if (!options.ephemeralBlank) {
      options.log(
        `${SteleLabel.ephemeral} is formatted already: left at its size, the rest of ${disk} unused`,
      );
    }
    return { rewritten: true };
  }
  const partition = table.partitions.find((p) => p.number === plan.ephemeral!.number)!;
  const size = (plan.ephemeral.to - partition.firstLba + 1) * table.sectorSize;
  options.log(`${SteleLabel.ephemeral} grown to the end of ${disk}: ${(size / 2 ** 30).toFixed(2)} GiB`);
  return {
    rewritten: true,
    ephemeral: { number: partition.number, offset: partition.firstLba * table.sectorSize, size },
  };
}
