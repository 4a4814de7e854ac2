/**
 * GUID Partition Tables for Stele disks, in plain TypeScript on positioned reads and writes: the
 * writer, the verifying reader (which falls back to the backup copy), and the Stele partition plan.
 */
export {
  type BlockIo,
  type BlockTarget,
  type OpenBlockIoOptions,
  openBlockIo,
  withBlockIo,
} from "./block-io.ts";
export { GptError, type GptErrorCode } from "./gpt-error.ts";
export type { GptLayout, GptPartition, GptPartitionSpec, GptTable, SectorSize } from "./gpt-table.ts";
export { decodeGuid, encodeGuid, isGuid, randomGuid, ZERO_GUID } from "./guid.ts";
export { LEGACY_BIOS_BOOTABLE, PartitionType } from "./partition-types.ts";
export { type GptReadResult, type ReadGptOptions, readGpt } from "./read-gpt.ts";
export {
  DEFAULT_MIN_EPHEMERAL_SIZE,
  STELE_PARTITION_SIZES,
  SteleLabel,
  type SteleLayoutOptions,
  steleLayout,
} from "./stele-layout.ts";
export { writeGpt } from "./write-gpt.ts";
