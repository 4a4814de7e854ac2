import { isDeepStrictEqual } from "node:util";
import { crc32 } from "node:zlib";
import { type BlockIo, type BlockTarget, withBlockIo } from "./block-io.ts";
import { GptError } from "./gpt-error.ts";
import {
  findPartitionProblem,
  GPT_HEADER_SIZE,
  GPT_SIGNATURE,
  type GptHeaderFields,
  hasProtectiveMbr,
  MAX_ENTRY_COUNT,
} from "./gpt-format.ts";
import type { GptPartition, GptTable, SectorSize } from "./gpt-table.ts";
import { decodeGuid, ZERO_GUID } from "./guid.ts";

/** Options of {@link readGpt}. */
export interface ReadGptOptions {
  /**
   * The sector size to read with. By default the kernel's for a block device; for an image file, the
   * one whose LBA 1 (or last LBA) holds a GPT signature, trying 512 then 4096.
   */
  sectorSize?: SectorSize;
}

/** What {@link readGpt} found. */
export interface GptReadResult {
  /** The partition table, from the copy named by `source`. */
  table: GptTable;
  /** `backup` when the primary copy is damaged and the one at the end of the disk was used. */
  source: "primary" | "backup";
  /**
   * What is wrong but did not stop the read, one sentence each: a damaged copy and why, copies that
   * disagree, a missing protective MBR, a backup not at the end of a disk that grew. Empty when both
   * copies are sound and agree, as `sgdisk -v`'s "No problems found".
   */
  problems: string[];
}

type Copy =
  | { ok: true; header: GptHeaderFields; table: GptTable }
  | { ok: false; problem: string; blank: boolean };

/**
 * Reads and verifies the GPT of a disk image or block device: both headers (signature, revision,
 * size, CRC32, own LBA, geometry) and both entry arrays (CRC32, partitions inside the usable range,
 * not beyond the disk, not overlapping). The primary copy is used when it is sound; otherwise the
 * backup is, and `problems` says why. When neither is usable it throws a GptError naming what is
 * wrong with each: `not-found` when the disk holds no GPT at all (blank, or MBR only), `io` when
 * copies exist but are damaged.
 */
export function readGpt(target: BlockTarget, options: ReadGptOptions = {}): GptReadResult {
  return withBlockIo(target, {}, (io) => {
    const sectorSize = options.sectorSize ?? detectSectorSize(io);
    const diskSectors = Math.floor(io.size / sectorSize);
    const lastLba = diskSectors - 1;
    const problems: string[] = [];
    if (diskSectors > 0 && !hasProtectiveMbr(io.read(0, 512))) problems.push("LBA 0 holds no protective MBR");

    const primary = readCopy(io, sectorSize, diskSectors, 1);
    let backupLba = lastLba;
    if (primary.ok) {
      const alternate = primary.header.alternateLba;
      if (alternate > lastLba || alternate <= primary.table.lastUsableLba) {
        problems.push(
          `The primary GPT places its backup at LBA ${alternate}, not at the end of the disk (LBA ${lastLba})`,
        );
      } else {
        backupLba = alternate;
        if (alternate < lastLba) {
          problems.push(
            `The backup GPT is at LBA ${alternate}, not at the end of the disk (LBA ${lastLba}): the disk grew, and \`sgdisk -e\` moves it`,
          );
        }
      }
    }
    const backup = readCopy(io, sectorSize, diskSectors, backupLba);
    if (backup.ok && backup.header.alternateLba !== 1) {
      problems.push(
        `The backup GPT at LBA ${backupLba} records the primary at LBA ${backup.header.alternateLba}, not 1`,
      );
    }

    if (primary.ok) {
      if (!backup.ok) problems.push(`The backup GPT is damaged: ${backup.problem}`);
      else if (!isDeepStrictEqual(primary.table, backup.table)) {
        problems.push("The primary and backup GPTs differ: the primary is used");
      }
      return { table: primary.table, source: "primary", problems };
    }
    if (backup.ok) {
      problems.unshift(`The primary GPT is damaged, the backup is used: ${primary.problem}`);
      return { table: backup.table, source: "backup", problems };
    }
    if (primary.blank && backup.blank) {
      throw new GptError(
        "not-found",
        `No GPT on ${io.name}: ${primary.problem}, nor ${backup.problem.replace(/^no GPT header /, "")}`,
        "The disk is blank or partitioned another way (MBR): write a GPT first, or install to it (which wipes it)",
      );
    }
    throw new GptError(
      "io",
      `Invalid GPT on ${io.name}: primary: ${primary.problem}; backup: ${backup.problem}`,
      "Both copies of the partition table are damaged: check the disk with `sgdisk -v`, repair it with gdisk, or reinstall (which rewrites the table and wipes the disk)",
    );
  });
}

function detectSectorSize(io: BlockIo): SectorSize {
  if (io.logicalSectorSize === 512 || io.logicalSectorSize === 4096) return io.logicalSectorSize;
  const signed = (position: number) =>
    position >= 0 &&
    position + 8 <= io.size &&
    Buffer.from(io.read(position, 8)).toString("latin1") === GPT_SIGNATURE;
  for (const size of [512, 4096] as const) if (signed(size)) return size;
  for (const size of [512, 4096] as const) if (signed((Math.floor(io.size / size) - 1) * size)) return size;
  return 512;
}

function readCopy(io: BlockIo, sectorSize: SectorSize, diskSectors: number, lba: number): Copy {
  const fail = (problem: string, blank = false): Copy => ({ ok: false, problem, blank });
  if (lba < 1 || lba >= diskSectors) {
    return fail(`no GPT header at LBA ${lba}: the disk has ${diskSectors} sectors`, true);
  }
  const sector = io.read(lba * sectorSize, sectorSize);
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const signature = Buffer.from(sector.subarray(0, 8)).toString("latin1");
  if (signature !== GPT_SIGNATURE) {
    const why = sector.every((byte) => byte === 0)
      ? "the sector is zero"
      : /^[\x20-\x7e]{8}$/.test(signature)
        ? `bad signature ${JSON.stringify(signature)}`
        : `bad signature 0x${Buffer.from(sector.subarray(0, 8)).toString("hex").toUpperCase()}`;
    return fail(`no GPT header at LBA ${lba} (${why})`, true);
  }
  const revision = view.getUint32(8, true);
  if (revision >>> 16 !== 1) return fail(`unsupported GPT revision 0x${hex(revision)} at LBA ${lba}`);
  const headerSize = view.getUint32(12, true);
  if (headerSize < GPT_HEADER_SIZE || headerSize > sectorSize) {
    return fail(`invalid GPT header size ${headerSize} at LBA ${lba}`);
  }
  const storedCrc = view.getUint32(16, true);
  const zeroed = sector.slice(0, headerSize);
  zeroed.fill(0, 16, 20);
  const headerCrc = crc32(zeroed);
  if (headerCrc !== storedCrc) {
    return fail(
      `GPT header CRC mismatch at LBA ${lba}: stored 0x${hex(storedCrc)}, computed 0x${hex(headerCrc)}`,
    );
  }
  const header: GptHeaderFields = {
    myLba: u64(24),
    alternateLba: u64(32),
    firstUsableLba: u64(40),
    lastUsableLba: u64(48),
    diskGuid: decodeGuid(sector, 56),
    entriesLba: u64(72),
    entryCount: view.getUint32(80, true),
    entrySize: view.getUint32(84, true),
    entriesCrc: view.getUint32(88, true),
  };
  if (header.myLba !== lba)
    return fail(`the GPT header at LBA ${lba} records its own LBA as ${header.myLba}`);
  const units = header.entrySize / 128;
  if (!Number.isInteger(units) || units < 1 || (units & (units - 1)) !== 0) {
    return fail(`invalid partition entry size ${header.entrySize} in the GPT header at LBA ${lba}`);
  }
  if (header.entryCount < 1 || header.entryCount > MAX_ENTRY_COUNT) {
    return fail(`implausible partition entry count ${header.entryCount} in the GPT header at LBA ${lba}`);
  }
  const arrayBytes = header.entryCount * header.entrySize;
  const entriesEnd = header.entriesLba + Math.ceil(arrayBytes / sectorSize) - 1;
  if (entriesEnd >= diskSectors) {
    return fail(
      `the partition entries at LBA ${header.entriesLba}-${entriesEnd} lie beyond the disk (last LBA ${diskSectors - 1})`,
    );
  }
  if (header.entriesLba < 2 || (header.entriesLba <= lba && lba <= entriesEnd)) {
    return fail(
      `the partition entries at LBA ${header.entriesLba}-${entriesEnd} overlap a header or the MBR`,
    );
  }
  if (header.firstUsableLba > header.lastUsableLba + 1) {
    return fail(
      `the GPT header at LBA ${lba} has its first usable LBA ${header.firstUsableLba} after its last ${header.lastUsableLba}`,
    );
  }
  for (const [from, to, what] of [
    [header.entriesLba, entriesEnd, `the partition entries at LBA ${header.entriesLba}-${entriesEnd}`],
    [lba, lba, `the GPT header at LBA ${lba}`],
  ] as const) {
    if (from <= header.lastUsableLba && to >= header.firstUsableLba) {
      return fail(`${what} overlap the usable LBAs ${header.firstUsableLba}-${header.lastUsableLba}`);
    }
  }
  const array = io.read(header.entriesLba * sectorSize, arrayBytes);
  const arrayCrc = crc32(array);
  if (arrayCrc !== header.entriesCrc) {
    return fail(
      `partition entry array CRC mismatch at LBA ${header.entriesLba}: stored 0x${hex(header.entriesCrc)}, computed 0x${hex(arrayCrc)}`,
    );
  }
  const partitions = decodeEntries(array, header);
  const table: GptTable = {
    sectorSize,
    diskSectors,
    diskGuid: header.diskGuid,
    firstUsableLba: header.firstUsableLba,
    lastUsableLba: header.lastUsableLba,
    entryCount: header.entryCount,
    partitions,
  };
  const partitionProblem = findPartitionProblem(partitions, table);
  if (partitionProblem !== undefined) return fail(partitionProblem);
  if (header.lastUsableLba >= diskSectors) {
    return fail(
      `the GPT header at LBA ${lba} has its last usable LBA ${header.lastUsableLba} beyond the disk (last LBA ${diskSectors - 1})`,
    );
  }
  return { ok: true, header, table };
}

function decodeEntries(array: Uint8Array, header: GptHeaderFields): GptPartition[] {
  const view = new DataView(array.buffer, array.byteOffset, array.byteLength);
  const partitions: GptPartition[] = [];
  for (let index = 0; index < header.entryCount; index++) {
    const at = index * header.entrySize;
    const type = decodeGuid(array, at);
    if (type === ZERO_GUID) continue;
    const nameBytes = array.subarray(at + 56, at + 128);
    let units = 0;
    while (units < 36 && (nameBytes[units * 2] !== 0 || nameBytes[units * 2 + 1] !== 0)) units++;
    partitions.push({
      number: index + 1,
      type,
      guid: decodeGuid(array, at + 16),
      name: Buffer.from(nameBytes.subarray(0, units * 2)).toString("utf16le"),
      firstLba: Number(view.getBigUint64(at + 32, true)),
      lastLba: Number(view.getBigUint64(at + 40, true)),
      attributes: view.getBigUint64(at + 48, true),
    });
  }
  return partitions;
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, "0");
}
