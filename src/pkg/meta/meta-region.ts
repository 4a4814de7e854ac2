import type { BlockIo } from "../gpt/block-io.ts";
import { MetaError } from "./meta-error.ts";
import { decodeMetaCopy, type MetaCopyState } from "./meta-format.ts";

/** The size of the META partition in the Stele layout, and of a META file created from nothing. */
export const META_SIZE = 1024 * 1024;

/**
 * The largest region META accepts without an explicit `size`: anything larger is a whole disk passed
 * by mistake (`/dev/sda` for `/dev/sda5`), and writing copy B at its middle would destroy data.
 */
const MAX_IMPLICIT_SIZE = 16 * 1024 * 1024;

/** Copies are a multiple of this, so each starts on a page and sector boundary. */
const COPY_ALIGN = 4096;

/** Where META lies in its target. */
export interface MetaLocation {
  /** Byte offset of the region in the target: 0 for the META partition itself (the default). */
  offset?: number;
  /**
   * Bytes of the region: by default the rest of the target after `offset` (the partition's size), or
   * {@link META_SIZE} for an empty file. Give it when the target is a whole-disk image.
   */
  size?: number;
}

/** One of the two copies: its name in messages and where it starts in the target. */
export interface MetaCopyPlace {
  label: "A" | "B";
  offset: number;
}

/** The region resolved against its target: two copies of `copySize` bytes. */
export interface MetaRegion {
  copySize: number;
  copies: [MetaCopyPlace, MetaCopyPlace];
}

/**
 * Resolves where the two copies lie: copy A at the start of the region, copy B at its middle, each
 * half the region rounded down to 4 KiB. Refuses regions too small for a copy, or large enough to be a
 * whole disk when no size was given.
 */
export function resolveMetaRegion(io: BlockIo, location: MetaLocation = {}): MetaRegion {
  const offset = location.offset ?? 0;
  const rest = io.size - offset;
  const size = location.size ?? (rest > 0 ? rest : META_SIZE);
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(size)) {
    throw new MetaError(
      "invalid-argument",
      `Invalid META region: offset ${offset}, size ${size}`,
      "Give whole bytes",
    );
  }
  if (location.size === undefined && size > MAX_IMPLICIT_SIZE) {
    throw new MetaError(
      "invalid-argument",
      `META region too large: ${size} bytes after offset ${offset} of ${io.name}`,
      "Pass the META partition itself, or give the offset and size of META inside the disk",
    );
  }
  const copySize = Math.floor(size / 2 / COPY_ALIGN) * COPY_ALIGN;
  if (copySize < COPY_ALIGN) {
    throw new MetaError(
      "invalid-argument",
      `META region too small: ${size} bytes at offset ${offset} of ${io.name}, at least ${2 * COPY_ALIGN} are needed`,
      `Use the 1 MiB META partition of the Stele layout`,
    );
  }
  return {
    copySize,
    copies: [
      { label: "A", offset },
      { label: "B", offset: offset + copySize },
    ],
  };
}

/** Reads and decodes both copies; a copy beyond the end of the target (a new file) is blank. */
export function inspectMetaCopies(io: BlockIo, region: MetaRegion): [MetaCopyState, MetaCopyState] {
  const inspect = (place: MetaCopyPlace): MetaCopyState =>
    place.offset + region.copySize > io.size
      ? { ok: false, blank: true, problem: "it lies beyond the end of the target" }
      : decodeMetaCopy(io.read(place.offset, region.copySize));
  return [inspect(region.copies[0]), inspect(region.copies[1])];
}

/** How a copy is named in messages: `copy B (offset 524288)`. */
export function describeCopy(place: MetaCopyPlace): string {
  return `copy ${place.label} (offset ${place.offset})`;
}
