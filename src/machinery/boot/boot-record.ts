import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SteleError } from "../errors.ts";

/**
 * Where the stage-1 init records how the node booted, for machined: /run is a tmpfs that moves into
 * the new root, so the file is there at every boot and never on disk.
 */
export const BOOT_RECORD_PATH = "/run/stele/boot.json";

/** The partition the root squashfs was found on. */
export interface BootPartition {
  /** Its number in the GPT (sda3 is 3). */
  index: number;
  /** Its GPT name: `BOOT-A`, `BOOT-B`, or whatever the medium's builder named it. */
  name: string;
  /** Its unique partition GUID, lower case. */
  guid: string;
  /** Where it starts on the disk, in bytes. */
  offset: number;
  /** Its size in bytes. */
  size: number;
}

/**
 * How the node booted, written by the stage-1 init to {@link BOOT_RECORD_PATH} and read by machined.
 * `medium` is what machined acts on: `disk` (an installed system or the raw image: the root is a
 * BOOT-A or BOOT-B partition, so STATE and EPHEMERAL are partitions beside it) or `live` (the ISO, a
 * USB stick with it, a kernel and initramfs with a squashfs disk: nothing is kept, and applying a
 * config installs to a disk).
 */
export interface BootRecord {
  schema: 1;
  /** The device the squashfs was mounted from: a partition (`/dev/vda3`), a whole disk, or a loop device. */
  root: string;
  /** The disk holding the root, or null when stele.root= named a device directly. */
  disk: string | null;
  /** The root's partition, or null when the squashfs is a whole disk. */
  partition: BootPartition | null;
  medium: "disk" | "live";
}

/** The partition names that make a boot from an installed disk (A/B slots). */
export const BOOT_SLOT_NAMES: readonly string[] = ["BOOT-A", "BOOT-B"];

/** The medium a root partition means: `disk` for a Stele boot slot, `live` otherwise. */
export function mediumOf(partition: Pick<BootPartition, "name"> | null): BootRecord["medium"] {
  return partition !== null && BOOT_SLOT_NAMES.includes(partition.name) ? "disk" : "live";
}

/**
 * The device node of partition `index` of `disk`, as the kernel names it: `/dev/sda3`, `/dev/vda3`,
 * but `/dev/nvme0n1p3`, `/dev/mmcblk0p3`, `/dev/loop0p3` when the disk's name ends in a digit.
 */
export function partitionDevicePath(disk: string, index: number): string {
  return /\d$/.test(disk) ? `${disk}p${index}` : `${disk}${index}`;
}

/** The record as the file holds it: one JSON object and a newline. */
export function formatBootRecord(record: BootRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Parses a boot record, checking every field: machined decides from it whether to format
 * partitions, so a malformed one is an error (`invalid-argument`), never a guess.
 */
export function parseBootRecord(text: string, source = BOOT_RECORD_PATH): BootRecord {
  const bad = (detail: string) =>
    new SteleError(
      "invalid-argument",
      `Malformed boot record ${source}: ${detail}`,
      "The stage-1 init of the same Stele version writes it; boot the node from a complete Stele image",
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("not a JSON object");
  const r = value as Record<string, unknown>;
  if (r.schema !== 1) throw bad(`unknown schema ${JSON.stringify(r.schema)}, expected 1`);
  if (typeof r.root !== "string" || !r.root.startsWith("/dev/")) throw bad("root is not a /dev path");
  if (r.disk !== null && (typeof r.disk !== "string" || !r.disk.startsWith("/dev/"))) {
    throw bad("disk is neither null nor a /dev path");
  }
  if (r.medium !== "disk" && r.medium !== "live") throw bad(`unknown medium ${JSON.stringify(r.medium)}`);
  let partition: BootPartition | null = null;
  if (r.partition !== null) {
    if (typeof r.partition !== "object" || r.partition === undefined) throw bad("partition is not an object");
    const p = r.partition as Record<string, unknown>;
    const whole = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
    if (!whole(p.index) || (p.index as number) < 1) throw bad("partition.index is not a positive integer");
    if (typeof p.name !== "string") throw bad("partition.name is not a string");
    if (typeof p.guid !== "string") throw bad("partition.guid is not a string");
    if (!whole(p.offset) || !whole(p.size)) throw bad("partition.offset or .size is not a byte count");
    partition = {
      index: p.index as number,
      name: p.name,
      guid: p.guid,
      offset: p.offset as number,
      size: p.size as number,
    };
  }
  if (partition !== null && r.disk === null) throw bad("a partition without its disk");
  if (r.medium !== mediumOf(partition)) {
    throw bad(`medium ${r.medium} does not match the root partition ${partition?.name ?? "(none)"}`);
  }
  return { schema: 1, root: r.root, disk: r.disk as string | null, partition, medium: r.medium };
}

/** Writes the record (the init, before switching root). */
export function writeBootRecord(record: BootRecord, path = BOOT_RECORD_PATH): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, formatBootRecord(record), { mode: 0o644 });
}

/** Reads the record (machined); undefined when there is none (a node booted by an older init). */
export function readBootRecord(path = BOOT_RECORD_PATH): BootRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseBootRecord(text, path);
}
