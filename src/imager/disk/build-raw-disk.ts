import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { constants, createZstdCompress } from "node:zlib";
import { SteleError } from "../../machinery/errors.ts";
import {
  type GptLayout,
  type GptTable,
  openBlockIo,
  STELE_PARTITION_SIZES,
  SteleLabel,
  steleLayout,
  writeGpt,
} from "../../pkg/gpt/index.ts";
import { type GrubBiosImages, writeGrubBios } from "../../pkg/grub-bios/index.ts";
import { encodeUpgradeState, writeMeta } from "../../pkg/meta/index.ts";
import { RAW_BOOT_SLOT_SIZE, RAW_EPHEMERAL_SIZE, RAW_ZSTD_LEVEL } from "./disk-layout.ts";

const MiB = 1024 * 1024;
const SECTOR = 512;

/** What the raw disk image is made of. */
export interface RawDiskParts {
  /** The ESP image: the EFI partition's first bytes. */
  esp: string;
  /** The node's squashfs: BOOT-A's first bytes. */
  rootfs: string;
  /**
   * Any text that changes whenever the disk's contents do (the manifest's inputs): the disk and
   * partition GUIDs are derived from it, so two builds of the same inputs give the same bytes and
   * two different images do not share GUIDs.
   */
  guidSeed: string;
  /** GRUB's i386-pc images: boot.img's code goes into the MBR, core.img into BIOS (legacy BIOS boot). */
  grub: GrubBiosImages;
}

/**
 * Writes the raw disk image at `output`: the Stele GPT layout (src/pkg/gpt steleLayout) with the ESP
 * image in EFI, the squashfs in BOOT-A, BOOT-B empty, GRUB's core.img in BIOS and boot.img's code in
 * the protective MBR (src/pkg/grub-bios: the ESP's grub.cfg boots the UKI's kernel), META holding the upgrade state "slot
 * A, committed" (src/pkg/meta), and STATE and EPHEMERAL all zeros (machined formats a blank one on
 * first boot). The file is sparse: the zeros take no space. Boot slots are RAW_BOOT_SLOT_SIZE (or the
 * squashfs's size if larger), EPHEMERAL RAW_EPHEMERAL_SIZE. Returns the table written.
 */
export async function buildRawDisk(parts: RawDiskParts, output: string): Promise<GptTable> {
  const [espSize, rootfsSize] = [(await stat(parts.esp)).size, (await stat(parts.rootfs)).size];
  if (espSize > STELE_PARTITION_SIZES.efi) {
    throw new SteleError(
      "failed-precondition",
      `ESP image too large: ${espSize} bytes, the EFI partition holds ${STELE_PARTITION_SIZES.efi}`,
      "Make the UKI smaller (a lower-level initramfs compression, fewer modules)",
    );
  }
  const bootSize = Math.max(RAW_BOOT_SLOT_SIZE, Math.ceil(rootfsSize / MiB) * MiB);
  const fixed =
    MiB +
    STELE_PARTITION_SIZES.efi +
    STELE_PARTITION_SIZES.bios +
    2 * bootSize +
    STELE_PARTITION_SIZES.meta +
    STELE_PARTITION_SIZES.state;
  // 1 MiB at the end holds the backup GPT, as at the start: EPHEMERAL is then exactly its size.
  const diskSize = fixed + RAW_EPHEMERAL_SIZE + MiB;
  const planned = steleLayout(diskSize, { bootSize, minEphemeralSize: RAW_EPHEMERAL_SIZE });
  const layout: GptLayout = {
    ...planned,
    diskGuid: derivedGuid(parts.guidSeed, "disk"),
    partitions: planned.partitions.map((p) => ({ ...p, guid: derivedGuid(parts.guidSeed, p.name ?? "") })),
  };

  await rm(output, { force: true });
  const handle = await open(output, "wx", 0o644);
  try {
    await handle.truncate(diskSize);
  } finally {
    await handle.close();
  }
  const io = openBlockIo(output, { writable: true });
  let table: GptTable;
  try {
    table = writeGpt(io, layout);
    writeGrubBios(io, table, parts.grub);
    const part = (name: string) => table.partitions.find((p) => p.name === name)!;
    const meta = part(SteleLabel.meta);
    writeMeta(io, encodeUpgradeState({ nextSlot: "A", triesLeft: 0, fallbackSlot: "A" }), {
      offset: meta.firstLba * SECTOR,
      size: (meta.lastLba - meta.firstLba + 1) * SECTOR,
    });
  } finally {
    io.close();
  }
  const part = (name: string) => table.partitions.find((p) => p.name === name)!;
  await copyInto(parts.esp, output, part(SteleLabel.efi).firstLba * SECTOR);
  await copyInto(parts.rootfs, output, part(SteleLabel.bootA).firstLba * SECTOR);
  return table;
}

/**
 * Compresses the raw disk image into `output` with zstd (RAW_ZSTD_LEVEL, with a content checksum),
 * reading in fixed-size chunks so the same file always gives the same bytes. The sparse zeros of
 * STATE and EPHEMERAL compress to almost nothing.
 */
export async function compressRawDisk(raw: string, output: string): Promise<void> {
  await pipeline(
    createReadStream(raw, { highWaterMark: 4 * MiB }),
    createZstdCompress({
      params: {
        [constants.ZSTD_c_compressionLevel]: RAW_ZSTD_LEVEL,
        [constants.ZSTD_c_checksumFlag]: 1,
      },
    }),
    createWriteStream(output),
  );
}

/**
 * A GUID derived from `seed` and `name`: SHA-256, cut to 128 bits, with the RFC 9562 version 8
 * ("custom") and variant bits set, in upper case like the GUIDs src/pkg/gpt writes.
 */
export function derivedGuid(seed: string, name: string): string {
  const bytes = createHash("sha256").update(`stele-disk-guid\0${seed}\0${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex").toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Copies a whole file into `target` at byte `offset`, leaving the rest of the target as it is. */
async function copyInto(source: string, target: string, offset: number): Promise<void> {
  await pipeline(
    createReadStream(source, { highWaterMark: 4 * MiB }),
    createWriteStream(target, { flags: "r+", start: offset }),
  );
}
