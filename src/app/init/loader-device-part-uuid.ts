import { readFileSync } from "node:fs";

/** Where efivarfs is mounted, when the machine booted through UEFI. */
export const EFIVARS_DIR = "/sys/firmware/efi/efivars";

/**
 * The efivarfs file of LoaderDevicePartUUID: the Boot Loader Interface's vendor GUID. systemd-stub
 * (and systemd-boot) set it to the unique GUID of the partition the UKI was loaded from.
 */
export const LOADER_DEVICE_PART_UUID_FILE = "LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

/**
 * The GUID an efivarfs file of LoaderDevicePartUUID holds, lower case: the file is 4 bytes of
 * attributes then the value, a NUL-terminated UTF-16LE string (`6A2F…-…`, upper case by convention).
 * Undefined when the value is not a GUID.
 */
export function parseLoaderDevicePartUuid(bytes: Uint8Array): string | undefined {
  if (bytes.length < 4) return undefined;
  const text = Buffer.from(bytes.subarray(4)).toString("utf16le").replace(/\0.*$/s, "").trim().toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text) ? text : undefined;
}

/** Reads LoaderDevicePartUUID from efivarfs at `dir`; undefined when absent (no UEFI, no stub, no efivarfs). */
export function readLoaderDevicePartUuid(dir = EFIVARS_DIR): string | undefined {
  try {
    return parseLoaderDevicePartUuid(readFileSync(`${dir}/${LOADER_DEVICE_PART_UUID_FILE}`));
  } catch {
    return undefined;
  }
}
