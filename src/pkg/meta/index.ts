/**
 * META: Stele's small key-value store on its own 1 MiB partition, written as two checksummed copies
 * so that a power cut during a write always leaves one to read. Holds the A/B upgrade state and
 * machine identity hints. The on-disk format is in README.md.
 */
export { MetaError, type MetaErrorCode } from "./meta-error.ts";
export {
  type BootSlot,
  decodeIdentityHints,
  decodeUpgradeState,
  encodeIdentityHints,
  encodeUpgradeState,
  type IdentityHints,
  MetaKey,
  type UpgradeState,
} from "./meta-keys.ts";
export { META_SIZE, type MetaLocation } from "./meta-region.ts";
export { type MetaContents, readMeta } from "./read-meta.ts";
export { type MetaWriteResult, updateMeta, writeMeta } from "./write-meta.ts";
