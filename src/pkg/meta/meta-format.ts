import { crc32 } from "node:zlib";
import { MetaError } from "./meta-error.ts";

/**
 * The byte layout of one META copy (documented in README.md), shared by the reader and the writer.
 * Internal to src/pkg/meta.
 */

/** "STELMETA": the first 8 bytes of a copy. */
export const META_MAGIC = "STELMETA";
/** The format version this code writes and reads. */
export const META_VERSION = 1;
/** Bytes before the entries: magic, version, flags, length, generation, count, CRC32. */
export const META_HEADER_SIZE = 32;
/** Keys: short lower-case ASCII names, so META stays readable with a hex dump. */
export const META_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** What one copy holds when it is sound. */
export interface MetaCopyContents {
  generation: number;
  entries: Map<string, Uint8Array>;
}

/** One copy as read: its contents, or why it cannot be used (`blank`: it never held META). */
export type MetaCopyState =
  | ({ ok: true } & MetaCopyContents)
  | { ok: false; blank: boolean; problem: string };

/** Throws a MetaError (`invalid-argument`) for a key META cannot store. */
export function checkMetaKey(key: string): void {
  if (!META_KEY_PATTERN.test(key)) {
    throw new MetaError(
      "invalid-argument",
      `Invalid META key: ${JSON.stringify(key)}`,
      "Use 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
    );
  }
}

/** Bytes the entries take in a copy. */
export function encodedEntriesSize(entries: ReadonlyMap<string, Uint8Array>): number {
  let size = 0;
  for (const [key, value] of entries) size += 1 + key.length + 4 + value.length;
  return size;
}

/**
 * Encodes a whole copy of `copySize` bytes: header, entries sorted by key (so the same entries always
 * give the same bytes), zeros to the end. Throws a MetaError when a key is invalid or the entries do
 * not fit.
 */
export function encodeMetaCopy(contents: MetaCopyContents, copySize: number): Uint8Array {
  for (const key of contents.entries.keys()) checkMetaKey(key);
  const length = encodedEntriesSize(contents.entries);
  const capacity = copySize - META_HEADER_SIZE;
  if (length > capacity) {
    const [largestKey, largest] = [...contents.entries].reduce((a, b) => (b[1].length > a[1].length ? b : a));
    throw new MetaError(
      "invalid-argument",
      `META entries too large: ${length} bytes, a copy holds at most ${capacity}: the largest value, ${JSON.stringify(largestKey)}, is ${largest.length} bytes`,
      "Keep META to small values (upgrade state, identity hints); larger data belongs on STATE",
    );
  }
  const copy = new Uint8Array(copySize);
  const view = new DataView(copy.buffer);
  copy.set(Buffer.from(META_MAGIC, "latin1"), 0);
  view.setUint16(8, META_VERSION, true);
  view.setUint16(10, 0, true);
  view.setUint32(12, length, true);
  view.setBigUint64(16, BigInt(contents.generation), true);
  view.setUint32(24, contents.entries.size, true);
  let at = META_HEADER_SIZE;
  for (const key of [...contents.entries.keys()].sort()) {
    const value = contents.entries.get(key)!;
    copy[at] = key.length;
    copy.set(Buffer.from(key, "latin1"), at + 1);
    at += 1 + key.length;
    view.setUint32(at, value.length, true);
    copy.set(value, at + 4);
    at += 4 + value.length;
  }
  view.setUint32(28, crc32(copy.subarray(0, META_HEADER_SIZE + length)), true);
  return copy;
}

/** Decodes and verifies one copy; never throws, so the reader can weigh both copies. */
export function decodeMetaCopy(copy: Uint8Array): MetaCopyState {
  const fail = (problem: string, blank = false): MetaCopyState => ({ ok: false, blank, problem });
  if (copy.length < META_HEADER_SIZE) return fail("it is shorter than a META header", true);
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  const magic = Buffer.from(copy.subarray(0, 8)).toString("latin1");
  if (magic !== META_MAGIC) {
    return fail(copy.every((byte) => byte === 0) ? "it is blank (all zeros)" : "no META magic", true);
  }
  const version = view.getUint16(8, true);
  if (version !== META_VERSION)
    return fail(`unsupported format version ${version} (this build reads ${META_VERSION})`);
  const flags = view.getUint16(10, true);
  if (flags !== 0) return fail(`unknown flags 0x${flags.toString(16)}`);
  const length = view.getUint32(12, true);
  if (length > copy.length - META_HEADER_SIZE) {
    return fail(`entries length ${length} exceeds the copy (${copy.length - META_HEADER_SIZE} bytes)`);
  }
  const stored = view.getUint32(28, true);
  const header = copy.slice(0, META_HEADER_SIZE);
  header.fill(0, 28, 32);
  const computed = crc32(copy.subarray(META_HEADER_SIZE, META_HEADER_SIZE + length), crc32(header));
  if (computed !== stored) return fail(`CRC mismatch: stored 0x${hex(stored)}, computed 0x${hex(computed)}`);
  const generation = view.getBigUint64(16, true);
  if (generation > BigInt(Number.MAX_SAFE_INTEGER)) return fail(`implausible generation ${generation}`);
  const count = view.getUint32(24, true);
  const entries = new Map<string, Uint8Array>();
  const end = META_HEADER_SIZE + length;
  let at = META_HEADER_SIZE;
  while (at < end) {
    const keyLength = copy[at]!;
    if (at + 1 + keyLength + 4 > end) return fail(`entry ${entries.size + 1} overruns the entries`);
    const key = Buffer.from(copy.subarray(at + 1, at + 1 + keyLength)).toString("latin1");
    if (!META_KEY_PATTERN.test(key))
      return fail(`entry ${entries.size + 1} has an invalid key ${JSON.stringify(key)}`);
    if (entries.has(key)) return fail(`key ${JSON.stringify(key)} appears twice`);
    at += 1 + keyLength;
    const valueLength = view.getUint32(at, true);
    if (at + 4 + valueLength > end) return fail(`the value of ${JSON.stringify(key)} overruns the entries`);
    entries.set(key, copy.slice(at + 4, at + 4 + valueLength));
    at += 4 + valueLength;
  }
  if (entries.size !== count) return fail(`${entries.size} entries where the header counts ${count}`);
  return { ok: true, generation: Number(generation), entries };
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, "0");
}
