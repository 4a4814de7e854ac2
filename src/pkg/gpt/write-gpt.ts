import { crc32 } from "node:zlib";
import { type BlockIo, type BlockTarget, withBlockIo } from "./block-io.ts";
import { GptError } from "./gpt-error.ts";
import {
  describePartition,
  encodeGptEntries,
  encodeGptHeader,
  encodeProtectiveMbr,
  findPartitionProblem,
  GPT_ENTRY_SIZE,
  type GptEntryFields,
  gptGeometry,
  MAX_ENTRY_COUNT,
  MIN_ENTRY_COUNT,
  NAME_UNITS,
} from "./gpt-format.ts";
import type { GptLayout, GptTable, SectorSize } from "./gpt-table.ts";
import { isGuid, randomGuid, ZERO_GUID } from "./guid.ts";

const PLAN_HINT =
  "Fix the partition plan: each partition lies between the first and last usable LBA, apart from the others";

/**
 * Writes a GPT to a disk image or block device: the protective MBR at LBA 0, the primary header at
 * LBA 1 and its entry array from LBA 2, the backup entry array and header in the last sectors, each
 * header and array with its CRC32, then fsyncs. The backup is written first, so a write cut short
 * leaves at least one copy that {@link readGpt} can fall back to. Only these sectors are written:
 * partition contents are left as they are.
 *
 * The plan is checked before anything is written (partitions inside the usable range, no overlap,
 * names that fit, valid GUIDs) and refused with a GptError (`invalid-argument`) naming the problem.
 * Returns the table as written, with the GUIDs that were generated.
 *
 * After writing to a block device the kernel still holds the old table: re-read it (BLKRRPART,
 * through src/pkg/linux) before using the partitions.
 */
export function writeGpt(target: BlockTarget, layout: GptLayout): GptTable {
  return withBlockIo(target, { writable: true }, (io) => {
    const table = planTable(io, layout);
    const geometry = gptGeometry(table.diskSectors, table.sectorSize, table.entryCount);
    const entries: GptEntryFields[] = [];
    for (const p of table.partitions) entries[p.number - 1] = p;
    const array = encodeGptEntries(entries, geometry.entrySectors * table.sectorSize);
    const entriesCrc = crc32(array.subarray(0, table.entryCount * GPT_ENTRY_SIZE));
    const header = {
      firstUsableLba: table.firstUsableLba,
      lastUsableLba: table.lastUsableLba,
      diskGuid: table.diskGuid,
      entryCount: table.entryCount,
      entrySize: GPT_ENTRY_SIZE,
      entriesCrc,
    };
    const at = (lba: number) => lba * table.sectorSize;
    io.write(at(geometry.backupEntriesLba), array);
    io.write(
      at(geometry.backupHeaderLba),
      encodeGptHeader(
        {
          ...header,
          myLba: geometry.backupHeaderLba,
          alternateLba: 1,
          entriesLba: geometry.backupEntriesLba,
        },
        table.sectorSize,
      ),
    );
    io.sync();
    io.write(0, encodeProtectiveMbr(table.diskSectors, table.sectorSize, layout.bootCode));
    io.write(
      at(1),
      encodeGptHeader(
        { ...header, myLba: 1, alternateLba: geometry.backupHeaderLba, entriesLba: 2 },
        table.sectorSize,
      ),
    );
    io.write(at(2), array);
    io.sync();
    return table;
  });
}

/** Checks the layout against the disk and resolves its defaults (sector size, GUIDs, names). */
function planTable(io: BlockIo, layout: GptLayout): GptTable {
  const refuse = (message: string, hint = PLAN_HINT) => new GptError("invalid-argument", message, hint);
  const sectorSize = layout.sectorSize ?? io.logicalSectorSize ?? 512;
  if (sectorSize !== 512 && sectorSize !== 4096) {
    throw refuse(`Unsupported sector size: ${sectorSize} bytes`, "Use 512 or 4096-byte sectors");
  }
  if (io.logicalSectorSize !== undefined && io.logicalSectorSize !== sectorSize) {
    throw refuse(
      `Sector size mismatch on ${io.name}: the plan uses ${sectorSize}-byte sectors, the disk ${io.logicalSectorSize}`,
      "Leave sectorSize unset for a block device: it is read from the kernel",
    );
  }
  const entryCount = layout.entryCount ?? MIN_ENTRY_COUNT;
  if (!Number.isInteger(entryCount) || entryCount < MIN_ENTRY_COUNT || entryCount > MAX_ENTRY_COUNT) {
    throw refuse(
      `Invalid partition entry count: ${entryCount}`,
      `Use between ${MIN_ENTRY_COUNT} and ${MAX_ENTRY_COUNT} entries`,
    );
  }
  const diskSectors = Math.floor(io.size / sectorSize);
  const geometry = gptGeometry(diskSectors, sectorSize, entryCount);
  if (geometry.lastUsableLba < geometry.firstUsableLba) {
    throw new GptError(
      "failed-precondition",
      `Disk too small for a GPT: ${io.name} has ${io.size} bytes`,
      "Use a larger disk or image file",
    );
  }
  if (layout.partitions.length > entryCount) {
    throw refuse(
      `Too many partitions: ${layout.partitions.length} for ${entryCount} entries`,
      "Raise entryCount or write fewer partitions",
    );
  }
  const diskGuid = layout.diskGuid?.toUpperCase() ?? randomGuid();
  if (!isGuid(diskGuid)) throw refuse(`Invalid disk GUID: ${JSON.stringify(layout.diskGuid)}`);
  const partitions = layout.partitions.map((spec, index) => {
    const number = index + 1;
    const name = spec.name ?? "";
    const what = describePartition(number, name);
    const guid = spec.guid?.toUpperCase() ?? randomGuid();
    const type = spec.type.toUpperCase();
    const attributes = spec.attributes ?? 0n;
    if (!isGuid(type) || type === ZERO_GUID)
      throw refuse(`Invalid type GUID of ${what}: ${JSON.stringify(spec.type)}`);
    if (!isGuid(guid) || guid === ZERO_GUID)
      throw refuse(`Invalid GUID of ${what}: ${JSON.stringify(spec.guid)}`);
    if (name.length > NAME_UNITS) {
      throw refuse(`Name of ${what} too long: ${name.length} UTF-16 code units, at most ${NAME_UNITS} fit`);
    }
    if (name.includes("\0")) throw refuse(`Name of ${what} contains a NUL character`);
    if (!Number.isSafeInteger(spec.firstLba) || !Number.isSafeInteger(spec.lastLba) || spec.firstLba < 0) {
      throw refuse(`Invalid LBAs of ${what}: ${spec.firstLba}-${spec.lastLba}`);
    }
    if (attributes < 0n || attributes >= 1n << 64n)
      throw refuse(`Invalid attributes of ${what}: ${attributes}`);
    return { number, type, guid, name, firstLba: spec.firstLba, lastLba: spec.lastLba, attributes };
  });
  const problem = findPartitionProblem(partitions, { diskSectors, ...geometry });
  if (problem !== undefined) throw refuse(`Invalid partition plan for ${io.name}: ${problem}`);
  return {
    sectorSize: sectorSize as SectorSize,
    diskSectors,
    diskGuid,
    firstUsableLba: geometry.firstUsableLba,
    lastUsableLba: geometry.lastUsableLba,
    entryCount,
    partitions,
  };
}
