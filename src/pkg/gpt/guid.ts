import { randomUUID } from "node:crypto";

/** The all-zero GUID, which marks an unused partition entry in a GPT. */
export const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a GUID in its text form (`C12A7328-F81F-11D2-BA4B-00A0C93EC93B`, any case). */
export function isGuid(value: string): boolean {
  return GUID_PATTERN.test(value);
}

/**
 * A new random (version 4) GUID in upper case, the case sgdisk prints, so that GUIDs we write and
 * GUIDs we read from a disk compare equal as strings.
 */
export function randomGuid(): string {
  return randomUUID().toUpperCase();
}

/**
 * Writes a GUID into 16 bytes at `at` in the mixed-endian layout UEFI uses: the first three fields
 * little-endian, the last two as written. Throws a plain Error on a malformed GUID: callers validate
 * user input first and report it in their own words.
 */
export function encodeGuid(guid: string, into: Uint8Array, at: number): void {
  if (!isGuid(guid)) throw new Error(`Not a GUID: ${JSON.stringify(guid)}`);
  const hex = guid.replaceAll("-", "");
  const byte = (i: number) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  for (let i = 0; i < 16; i++) into[at + i] = byte(order[i]!);
}

/** Reads the 16-byte mixed-endian GUID at `at` (see {@link encodeGuid}), in upper case. */
export function decodeGuid(bytes: Uint8Array, at: number): string {
  const hex = (i: number) => bytes[at + i]!.toString(16).padStart(2, "0");
  const run = (indexes: number[]) => indexes.map(hex).join("");
  return [run([3, 2, 1, 0]), run([5, 4]), run([7, 6]), run([8, 9]), run([10, 11, 12, 13, 14, 15])]
    .join("-")
    .toUpperCase();
}
