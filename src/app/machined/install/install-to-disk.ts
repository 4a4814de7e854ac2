import type { BootRecord } from "../../../machinery/boot/boot-record.ts";
import { SteleError } from "../../../machinery/errors.ts";
import {
  type BlockIo,
  type GptPartition,
  type GptTable,
  PartitionType,
  readGpt,
  SteleLabel,
  writeGpt,
} from "../../../pkg/gpt/index.ts";
import { type GrubBiosImages, writeGrubBios } from "../../../pkg/grub-bios/index.ts";
import { encodeUpgradeState, writeMeta } from "../../../pkg/meta/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import type { Ext4Format } from "../storage/ext4.ts";
import { installLayout } from "./boot-slot-size.ts";
import { findDiskContents } from "./disk-contents.ts";

const MiB = 1024 * 1024;
/** Copies go in pieces of this size: the squashfs is ≈ 80 MB, the node may have 512 MiB of RAM. */
const CHUNK = 4 * MiB;

/** What the installer does to the machine beyond positioned reads and writes; tests pass fakes. */
export interface InstallCalls {
  /** The device a path names, symlinks (`/dev/disk/by-id/…`) resolved; throws ENOENT when absent. */
  resolve(path: string): string;
  /** `disk`: a whole disk; `partition`; `other`: not a block device at all. */
  kind(device: string): "disk" | "partition" | "other";
  /** Opens a disk for positioned I/O (the target writable, the boot medium read-only). */
  open(device: string, writable: boolean): BlockIo;
  /** Makes the kernel see the new GPT and waits for the partition nodes; returns their paths by number. */
  rereadPartitions(disk: string, io: BlockIo, count: number): Promise<Map<number, string>>;
  formatExt4(device: string, format: Ext4Format): void;
  /**
   * Mounts the new STATE somewhere private, runs `write` with its path, syncs and unmounts, even when
   * `write` throws.
   */
  withMountedState(device: string, write: (dir: string) => void): void;
  /** Stores the config in STATE exactly as machined does on a first apply (ConfigStore.commit). */
  writeConfig(stateDir: string, config: LoadedConfig): void;
  /**
   * GRUB's i386-pc boot.img and core.img from the running root (the squashfs carries them), for legacy
   * BIOS boot; undefined when the root has none, and then the disk boots through UEFI only.
   */
  grubBiosImages?(): GrubBiosImages | undefined;
  log(line: string): void;
}

/** What to install, from where, onto what. */
export interface InstallRequest {
  /** How this node booted: the medium is the source of the ESP and the squashfs. */
  record: BootRecord;
  /** `install.disk`. */
  disk: string;
  /** `install.wipe`: install over a disk that holds something else. */
  wipe: boolean;
  config: LoadedConfig;
}

/** What was installed. */
export interface InstallResult {
  disk: string;
  bootSize: number;
  table: GptTable;
}

/**
 * Installs Stele from the live medium it booted from onto `request.disk`, in this order: check the
 * medium (an ESP and the squashfs), the disk (exists, whole disk, not the medium, big enough) and
 * what it holds (refused unless wiped); clear its first and last MiB (old tables and signatures);
 * write the GPT; copy the medium's ESP raw into EFI; write GRUB's core.img into BIOS and its boot code
 * into the MBR (legacy BIOS boot, when the running root carries them); copy the squashfs (its superblock's bytes_used,
 * to 4 KiB) into BOOT-A; clear BOOT-B's head and META, write META (slot A); fsync; re-read the
 * partitions; format STATE and EPHEMERAL as ext4; store the config in STATE. A refusal writes
 * nothing; a failure after the first write leaves a disk that does not boot (no BOOT-A squashfs or
 * no STATE), and the caller's error says which step failed. Every step is one console line.
 */
export async function installToDisk(request: InstallRequest, calls: InstallCalls): Promise<InstallResult> {
  const say = (line: string) => calls.log(`install: ${line}`);
  const { record } = request;
  const source = record.disk;
  const refuse = (
    code: "failed-precondition" | "not-found" | "invalid-argument",
    message: string,
    hint: string,
  ) => new SteleError(code, message, hint);
  const noEsp = (why: string) =>
    refuse(
      "failed-precondition",
      `Cannot install: ${why}`,
      "Boot from the ISO or the raw image to install: the installer copies their ESP and squashfs",
    );
  if (source === null || record.partition === null) {
    throw noEsp("the node booted without an ESP on its medium (kernel and initramfs)");
  }
  const medium = calls.open(source, false);
  try {
    let mediumTable: GptTable;
    try {
      mediumTable = readGpt(medium).table;
    } catch {
      throw noEsp(`the boot medium ${source} has no GPT, hence no ESP`);
    }
    const esp = mediumTable.partitions.find((p) => p.type.toUpperCase() === PartitionType.efiSystem);
    if (esp === undefined) throw noEsp(`the boot medium ${source} has no EFI System partition`);
    const espBytes = partitionBytes(esp, mediumTable);
    const squashfsOffset = record.partition.offset;
    const squashfsSize = squashfsBytes(medium, squashfsOffset, record.partition.size);

    let target: string;
    try {
      target = calls.resolve(request.disk);
    } catch {
      throw refuse(
        "not-found",
        `Install disk not found: ${request.disk}`,
        "Set install.disk to a disk this machine has (`stelectl get disks` lists them)",
      );
    }
    const kind = calls.kind(target);
    if (kind !== "disk") {
      throw refuse(
        "invalid-argument",
        `Install disk ${request.disk} is ${kind === "partition" ? "a partition" : "not a block device"}: Stele installs to a whole disk`,
        "Set install.disk to the whole disk, e.g. /dev/sda rather than /dev/sda1",
      );
    }
    if (target === calls.resolve(source)) {
      throw refuse(
        "failed-precondition",
        `Install disk ${request.disk} is the boot medium this node runs from`,
        "Set install.disk to another disk; the node boots from it once the medium is removed",
      );
    }
    const io = calls.open(target, true);
    try {
      // What the disk holds comes first: an operator must learn that a disk has data on it even
      // when it is also too small.
      const contents = findDiskContents(io);
      if (contents.length > 0 && !request.wipe) {
        throw refuse(
          "failed-precondition",
          `Refusing to install to ${request.disk}: it holds ${contents.join(", ")}`,
          "Set install.wipe: true to erase it, or choose another install.disk",
        );
      }
      let planned: ReturnType<typeof installLayout>;
      try {
        planned = installLayout(io.size, {
          squashfsSize,
          sectorSize: io.logicalSectorSize === 4096 ? 4096 : 512,
        });
      } catch (error) {
        const { message, hint } = error as { message: string; hint?: string };
        throw refuse(
          "failed-precondition",
          `Cannot install to ${request.disk}: ${message}`,
          hint ?? "Choose a larger install.disk",
        );
      }
      const { layout, bootSize } = planned;
      if (espBytes.size > partitionSpecSize(layout, SteleLabel.efi)) {
        throw refuse(
          "failed-precondition",
          `Cannot install: the medium's ESP (${espBytes.size} bytes) is larger than the EFI partition`,
          "Rebuild the image with a smaller ESP",
        );
      }
      say(
        `installing to ${target} (${Math.floor(io.size / MiB)} MiB, BOOT slots ${bootSize / MiB} MiB)${contents.length > 0 ? `, wiping ${contents.join(", ")}` : ""}`,
      );
      // Old partition tables and signatures live in the first and last MiB: none survives to confuse blkid.
      zero(io, 0, MiB);
      zero(io, Math.max(0, io.size - MiB), Math.min(MiB, io.size));
      const table = writeGpt(io, layout);
      say(`GPT written: ${table.partitions.map((p) => p.name).join(", ")}`);
      const part = (label: string) => {
        const found = table.partitions.find((p) => p.name === label);
        if (!found) throw new SteleError("internal", `The written layout has no ${label} partition`);
        return partitionBytes(found, table);
      };
      copy(medium, espBytes.offset, io, part(SteleLabel.efi).offset, espBytes.size);
      say(`EFI: ${espBytes.size} bytes of the medium's ESP copied`);
      // The ESP's grub.cfg names sectors of partition 1, which the raw copy keeps where they were.
      const grub = calls.grubBiosImages?.();
      if (grub === undefined || table.sectorSize !== 512) {
        say(
          `BIOS: legacy BIOS boot not installed (${grub === undefined ? "no GRUB images in the running root" : `${table.sectorSize}-byte sectors`}): the disk boots through UEFI`,
        );
      } else {
        const { coreSector, coreSectors } = writeGrubBios(io, table, grub);
        say(`BIOS: GRUB core.img (${coreSectors} sectors) at sector ${coreSector}, boot code in the MBR`);
      }
      const squashfsCopy = Math.min(Math.ceil(squashfsSize / 4096) * 4096, record.partition.size);
      copy(medium, squashfsOffset, io, part(SteleLabel.bootA).offset, squashfsCopy);
      say(`BOOT-A: ${squashfsSize} bytes of squashfs copied`);
      zero(io, part(SteleLabel.bootB).offset, MiB);
      const meta = part(SteleLabel.meta);
      zero(io, meta.offset, meta.size);
      writeMeta(io, encodeUpgradeState({ nextSlot: "A", triesLeft: 0, fallbackSlot: "A" }), meta);
      say("META written: boot slot A");
      io.sync();
      const nodes = await calls.rereadPartitions(target, io, table.partitions.length);
      for (const label of [SteleLabel.state, SteleLabel.ephemeral]) {
        const partition = table.partitions.find((p) => p.name === label)!;
        const device = nodes.get(partition.number);
        if (device === undefined)
          throw new SteleError(
            "io",
            `No device node for ${label} (partition ${partition.number}) of ${target}`,
          );
        calls.formatExt4(device, { label, uuid: partition.guid.toLowerCase() });
        say(`${label}: ${device} formatted as ext4`);
      }
      const state = table.partitions.find((p) => p.name === SteleLabel.state)!;
      calls.withMountedState(nodes.get(state.number)!, (dir) => calls.writeConfig(dir, request.config));
      say("machine configuration stored in STATE");
      return { disk: target, bootSize, table };
    } finally {
      io.close();
    }
  } finally {
    medium.close();
  }
}

/** A partition's place in bytes. */
function partitionBytes(partition: GptPartition, table: GptTable): { offset: number; size: number } {
  return {
    offset: partition.firstLba * table.sectorSize,
    size: (partition.lastLba - partition.firstLba + 1) * table.sectorSize,
  };
}

function partitionSpecSize(layout: ReturnType<typeof installLayout>["layout"], name: string): number {
  const spec = layout.partitions.find((p) => p.name === name);
  return spec ? (spec.lastLba - spec.firstLba + 1) * (layout.sectorSize ?? 512) : 0;
}

/** The squashfs's own size: `bytes_used`, a u64 at byte 40 of its superblock. */
function squashfsBytes(io: BlockIo, offset: number, partitionSize: number): number {
  const superblock = Buffer.from(io.read(offset, 96));
  if (superblock.toString("latin1", 0, 4) !== "hsqs") {
    throw new SteleError(
      "io",
      `No squashfs at byte ${offset} of ${io.name}`,
      "Boot from a complete Stele image",
    );
  }
  const used = Number(superblock.readBigUInt64LE(40));
  if (used <= 0 || used > partitionSize) {
    throw new SteleError(
      "io",
      `Implausible squashfs size ${used} at byte ${offset} of ${io.name}`,
      "Boot from a complete Stele image",
    );
  }
  return used;
}

function copy(from: BlockIo, fromOffset: number, to: BlockIo, toOffset: number, length: number): void {
  for (let done = 0; done < length; done += CHUNK) {
    const n = Math.min(CHUNK, length - done);
    to.write(toOffset + done, from.read(fromOffset + done, n));
  }
}

function zero(io: BlockIo, offset: number, length: number): void {
  const chunk = new Uint8Array(Math.min(CHUNK, length));
  for (let done = 0; done < length; done += chunk.length) {
    const n = Math.min(chunk.length, length - done);
    io.write(offset + done, n === chunk.length ? chunk : chunk.subarray(0, n));
  }
}
