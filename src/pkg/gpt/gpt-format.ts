import { crc32 } from "node:zlib";
import { encodeGuid } from "./guid.ts";

/**
 * The on-disk constants and byte layouts of GPT (UEFI specification 2.10, section 5.3), shared by the
 * writer and the reader so both agree byte for byte. Internal to src/pkg/gpt.
 */

/** "EFI PART", the signature at the start of both GPT headers. */
export const GPT_SIGNATURE = "EFI PART";
/** Revision 1.0, the only one defined. */
export const GPT_REVISION = 0x00010000;
/** Bytes of the header that its CRC covers; the rest of its sector is zero. */
export const GPT_HEADER_SIZE = 92;
/** Bytes of one partition entry, as every writer uses. */
export const GPT_ENTRY_SIZE = 128;
/** UEFI requires at least 16 KiB for the entry array, i.e. 128 entries of 128 bytes. */
export const MIN_ENTRY_COUNT = 128;
/** Beyond this a header is implausible (and reading its array would allocate without bound). */
export const MAX_ENTRY_COUNT = 16384;
/** UTF-16 code units a partition name holds. */
export const NAME_UNITS = 36;

/** Where the GPT structures lie on a disk of `diskSectors` sectors. */
export interface GptGeometry {
  entrySectors: number;
  firstUsableLba: number;
  lastUsableLba: number;
  backupEntriesLba: number;
  backupHeaderLba: number;
}

/** The standard placement: primary header at LBA 1, its entries from LBA 2, the backups at the end. */
export function gptGeometry(diskSectors: number, sectorSize: number, entryCount: number): GptGeometry {
  const entrySectors = Math.ceil((entryCount * GPT_ENTRY_SIZE) / sectorSize);
  const backupHeaderLba = diskSectors - 1;
  const backupEntriesLba = backupHeaderLba - entrySectors;
  return {
    entrySectors,
    firstUsableLba: 2 + entrySectors,
    lastUsableLba: backupEntriesLba - 1,
    backupEntriesLba,
    backupHeaderLba,
  };
}

/** The fields of a GPT header. */
export interface GptHeaderFields {
  myLba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** Encodes a header into a zero-padded sector, its CRC32 computed over the first 92 bytes. */
export function encodeGptHeader(fields: GptHeaderFields, sectorSize: number): Uint8Array {
  const sector = new Uint8Array(sectorSize);
  const view = new DataView(sector.buffer);
  sector.set(Buffer.from(GPT_SIGNATURE, "latin1"), 0);
  view.setUint32(8, GPT_REVISION, true);
  view.setUint32(12, GPT_HEADER_SIZE, true);
  view.setBigUint64(24, BigInt(fields.myLba), true);
  view.setBigUint64(32, BigInt(fields.alternateLba), true);
  view.setBigUint64(40, BigInt(fields.firstUsableLba), true);
  view.setBigUint64(48, BigInt(fields.lastUsableLba), true);
  encodeGuid(fields.diskGuid, sector, 56);
  view.setBigUint64(72, BigInt(fields.entriesLba), true);
  view.setUint32(80, fields.entryCount, true);
  view.setUint32(84, fields.entrySize, true);
  view.setUint32(88, fields.entriesCrc, true);
  view.setUint32(16, crc32(sector.subarray(0, GPT_HEADER_SIZE)), true);
  return sector;
}

/** A partition entry's fields, as the writer encodes them. */
export interface GptEntryFields {
  type: string;
  guid: string;
  firstLba: number;
  lastLba: number;
  attributes: bigint;
  name: string;
}

/** Encodes the entry array (`entryCount` entries, unused ones zero), padded to whole sectors. */
export function encodeGptEntries(entries: readonly GptEntryFields[], byteLength: number): Uint8Array {
  const array = new Uint8Array(byteLength);
  const view = new DataView(array.buffer);
  entries.forEach((entry, index) => {
    const at = index * GPT_ENTRY_SIZE;
    encodeGuid(entry.type, array, at);
    encodeGuid(entry.guid, array, at + 16);
    view.setBigUint64(at + 32, BigInt(entry.firstLba), true);
    view.setBigUint64(at + 40, BigInt(entry.lastLba), true);
    view.setBigUint64(at + 48, entry.attributes, true);
    array.set(Buffer.from(entry.name, "utf16le"), at + 56);
  });
  return array;
}

/**
 * The protective MBR of LBA 0: one partition of type 0xEE covering the disk from LBA 1 (capped at
 * 2^32-1 sectors), so MBR-only tools see the disk as in use; `bootCode` fills the first 440 bytes.
 */
export function encodeProtectiveMbr(
  diskSectors: number,
  sectorSize: number,
  bootCode?: Uint8Array,
): Uint8Array {
  const sector = new Uint8Array(sectorSize);
  const view = new DataView(sector.buffer);
  if (bootCode !== undefined) sector.set(bootCode, 0);
  // Status 0 (not active), CHS start 0/0/2, type 0xEE, CHS end 0xFFFFFF as the UEFI spec gives it.
  sector.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], 446);
  view.setUint32(454, 1, true);
  view.setUint32(458, Math.min(diskSectors - 1, 0xffffffff), true);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** Whether LBA 0 holds an MBR with a 0xEE (GPT protective) partition, as a protective or hybrid MBR does. */
export function hasProtectiveMbr(sector: Uint8Array): boolean {
  if (sector[510] !== 0x55 || sector[511] !== 0xaa) return false;
  for (let i = 0; i < 4; i++) if (sector[446 + i * 16 + 4] === 0xee) return true;
  return false;
}

/** How a partition is named in messages: `partition 3 ("BOOT-B")`. */
export function describePartition(number: number, name: string): string {
  return name === "" ? `partition ${number}` : `partition ${number} (${JSON.stringify(name)})`;
}

/** The bounds a partition must respect. */
export interface PartitionBounds {
  diskSectors: number;
  firstUsableLba: number;
  lastUsableLba: number;
}

/** A partition's placement, for {@link findPartitionProblem}. */
export interface PlacedPartition {
  number: number;
  name: string;
  guid: string;
  firstLba: number;
  lastLba: number;
}

/**
 * The first thing wrong with where partitions lie, or undefined: a partition that ends before it
 * starts, lies beyond the disk, reaches into a GPT structure, overlaps another, or shares its GUID.
 */
export function findPartitionProblem(
  partitions: readonly PlacedPartition[],
  bounds: PartitionBounds,
): string | undefined {
  const lastLba = bounds.diskSectors - 1;
  for (const p of partitions) {
    const what = describePartition(p.number, p.name);
    if (p.lastLba < p.firstLba)
      return `${what} ends at LBA ${p.lastLba}, before it starts at LBA ${p.firstLba}`;
    if (p.lastLba > lastLba) {
      return `${what} ends at LBA ${p.lastLba}, beyond the end of the disk (last LBA ${lastLba})`;
    }
    if (p.firstLba < bounds.firstUsableLba) {
      return `${what} starts at LBA ${p.firstLba}, inside the primary GPT (first usable LBA ${bounds.firstUsableLba})`;
    }
    if (p.lastLba > bounds.lastUsableLba) {
      return `${what} ends at LBA ${p.lastLba}, inside the backup GPT (last usable LBA ${bounds.lastUsableLba})`;
    }
  }
  const sorted = [...partitions].sort((a, b) => a.firstLba - b.firstLba);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const p = sorted[i]!;
    if (p.firstLba <= before.lastLba) {
      return (
        `${describePartition(before.number, before.name)} (LBA ${before.firstLba}-${before.lastLba}) overlaps ` +
        `${describePartition(p.number, p.name)} (LBA ${p.firstLba}-${p.lastLba})`
      );
    }
  }
  const seen = new Map<string, PlacedPartition>();
  for (const p of partitions) {
    const other = seen.get(p.guid);
    if (other !== undefined) {
      return `${describePartition(p.number, p.name)} has the same GUID as ${describePartition(other.number, other.name)}: ${p.guid}`;
    }
    seen.set(p.guid, p);
  }
  return undefined;
}
