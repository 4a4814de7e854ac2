import { type BlockTarget, withBlockIo } from "../gpt/block-io.ts";
import { MetaError } from "./meta-error.ts";
import { encodeMetaCopy } from "./meta-format.ts";
import { inspectMetaCopies, type MetaLocation, resolveMetaRegion } from "./meta-region.ts";
import { readMeta } from "./read-meta.ts";

/** What {@link writeMeta} wrote. */
export interface MetaWriteResult {
  /** The generation both copies now hold. */
  generation: number;
}

/**
 * Replaces META's entries with `entries`, so that a power cut at any moment leaves one sound copy:
 * the new generation (one more than the newest sound copy) is written first to the damaged or older
 * copy and fsynced, then to the other and fsynced. Until the first fsync the other copy still holds
 * the previous contents; after it, the first does. Whatever was on the region before (nothing, one
 * damaged copy) is overwritten, so this is also how the installer formats META.
 *
 * Refuses, before writing anything, keys outside `[a-z0-9._-]` (1-64 long) and entries that do not
 * fit half the region (MetaError `invalid-argument`). A missing file is created ({@link META_SIZE}).
 */
export function writeMeta(
  target: BlockTarget,
  entries: ReadonlyMap<string, Uint8Array>,
  location: MetaLocation = {},
): MetaWriteResult {
  return withBlockIo(target, { writable: true, create: true }, (io) => {
    const region = resolveMetaRegion(io, location);
    const states = inspectMetaCopies(io, region);
    const generations = states.map((s) => (s.ok ? s.generation : 0));
    const generation = Math.max(...generations) + 1;
    const copy = encodeMetaCopy({ generation, entries: new Map(entries) }, region.copySize);
    // The copy to sacrifice first: a damaged one, else the older one (A when they are equal).
    const first = !states[0].ok ? 0 : !states[1].ok ? 1 : generations[1]! < generations[0]! ? 1 : 0;
    for (const index of [first, 1 - first]) {
      io.write(region.copies[index]!.offset, copy);
      io.sync();
    }
    return { generation };
  });
}

/**
 * Sets (a value) or deletes (`null`) some keys and keeps the others: reads META, applies `changes`,
 * writes it back with {@link writeMeta}. A region never written starts empty; a region whose both
 * copies are damaged is refused (MetaError `io`) rather than silently emptied.
 */
export function updateMeta(
  target: BlockTarget,
  changes: ReadonlyMap<string, Uint8Array | null>,
  location: MetaLocation = {},
): MetaWriteResult {
  return withBlockIo(target, { writable: true, create: true }, (io) => {
    let entries: Map<string, Uint8Array>;
    try {
      entries = readMeta(io, location).entries;
    } catch (error) {
      if (!(error instanceof MetaError && error.code === "not-found")) throw error;
      entries = new Map();
    }
    for (const [key, value] of changes) {
      if (value === null) entries.delete(key);
      else entries.set(key, value);
    }
    return writeMeta(io, entries, location);
  });
}
