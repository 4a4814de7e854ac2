import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { BootRecord } from "../../../machinery/boot/boot-record.ts";
import { openBlockIo, PartitionType, readGpt, writeGpt } from "../../../pkg/gpt/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { type InstallCalls, installToDisk } from "./install-to-disk.ts";

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "install-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, size: number): string {
  const path = join(dir, name);
  writeFileSync(path, "");
  truncateSync(path, size);
  return path;
}

/** A medium file: an ESP and a fake squashfs (magic and bytes_used) in a GPT. */
const medium = file("medium.img", 16 * MiB);
writeGpt(medium, {
  partitions: [
    { name: "ESP", type: PartitionType.efiSystem, firstLba: 2048, lastLba: 4095 },
    { name: "rootfs", type: PartitionType.linuxFilesystem, firstLba: 4096, lastLba: 8191 },
  ],
});
{
  const io = openBlockIo(medium, { writable: true });
  const superblock = Buffer.alloc(96);
  superblock.write("hsqs", 0, "latin1");
  superblock.writeBigUInt64LE(5000n, 40);
  io.write(4096 * 512, superblock);
  io.close();
}
const live: BootRecord = {
  schema: 1,
  root: "/dev/loop0",
  disk: medium,
  partition: { index: 2, name: "rootfs", guid: "x", offset: 4096 * 512, size: 2 * MiB },
  medium: "live",
};
const config = { text: "config\n", parsed: {}, warnings: [] } as unknown as LoadedConfig;

/** Stand-ins for GRUB's boot.img and core.img, with the marks grub-bios checks (src/pkg/grub-bios). */
const fakeGrub = (() => {
  const bootImg = new Uint8Array(512).fill(0x11);
  bootImg.set([0xeb, 0x63], 0);
  bootImg.set([0xeb, 0x05], 0x66);
  bootImg.set([0x55, 0xaa], 510);
  const coreImg = new Uint8Array(3 * 512).fill(0x22);
  coreImg.set([0x20, 0x08], 510);
  return { bootImg, coreImg };
})();

/** Calls over files, recording the steps a real install would take on devices. */
function fakeCalls(
  steps: string[],
  kinds: Record<string, "disk" | "partition" | "other"> = {},
): InstallCalls {
  return {
    resolve: (path) => {
      if (path.includes("missing")) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return path;
    },
    kind: (device) => kinds[device] ?? "disk",
    open: (device, writable) => openBlockIo(device, { writable }),
    rereadPartitions: async (disk, _io, count) => {
      steps.push("reread");
      return new Map(Array.from({ length: count }, (_, i) => [i + 1, `${disk}-part${i + 1}`]));
    },
    formatExt4: (device, format) => steps.push(`mkfs ${format.label} ${device}`),
    withMountedState: (device, write) => {
      steps.push(`mount ${device}`);
      write("/state");
      steps.push("umount");
    },
    writeConfig: (stateDir, loaded) => steps.push(`config ${stateDir} ${loaded.text.trim()}`),
    grubBiosImages: () => fakeGrub,
    log: (line) => steps.push(line.replace(/^install: /, "").split(":")[0]!),
  };
}

/** The hash of a disk image's first and last 2 MiB: where a GPT and any install write would show. */
function sha(path: string): string {
  const io = openBlockIo(path);
  try {
    const hash = createHash("sha256").update(io.read(0, 2 * MiB));
    return hash.update(io.read(io.size - 2 * MiB, 2 * MiB)).digest("hex");
  } finally {
    io.close();
  }
}

test("installs in order: GPT, EFI, BIOS boot code, BOOT-A, META, re-read, STATE and EPHEMERAL formats, config in STATE", async () => {
  const disk = file("blank.img", 4 * 1024 * MiB);
  const steps: string[] = [];
  const result = await installToDisk({ record: live, disk, wipe: false, config }, fakeCalls(steps));
  assert.equal(result.bootSize, 1024 * MiB, "a 4 GiB disk gets 1 GiB slots");
  assert.deepEqual(steps.slice(1), [
    "GPT written",
    "EFI",
    "BIOS",
    "BOOT-A",
    "META written",
    "reread",
    `mkfs STATE ${disk}-part6`,
    "STATE",
    `mkfs EPHEMERAL ${disk}-part7`,
    "EPHEMERAL",
    `mount ${disk}-part6`,
    "config /state config",
    "umount",
    "machine configuration stored in STATE",
  ]);
});

test("writes GRUB's boot code into the MBR, keeping the protective partition entry, and core.img into BIOS", async () => {
  const disk = file("bios.img", 4 * 1024 * MiB);
  const { table } = await installToDisk({ record: live, disk, wipe: false, config }, fakeCalls([]));
  const bios = table.partitions.find((p) => p.name === "BIOS")!;
  const io = openBlockIo(disk);
  try {
    const mbr = Buffer.from(io.read(0, 512));
    assert.equal(mbr[0], 0xeb);
    assert.equal(mbr.readBigUInt64LE(0x5c), BigInt(bios.firstLba), "boot.img points at core.img");
    assert.equal(mbr[446 + 4], 0xee, "the GPT's protective entry is still there");
    assert.equal(mbr.readUInt16LE(510), 0xaa55);
    const core = Buffer.from(io.read(bios.firstLba * 512, 3 * 512));
    assert.equal(core.readBigUInt64LE(500), BigInt(bios.firstLba + 1), "diskboot loads the next sectors");
    assert.equal(core.readUInt16LE(508), 2);
  } finally {
    io.close();
  }
  assert.deepEqual(readGpt(disk).problems, []);
});

const refusals: Array<[string, () => Promise<unknown>, RegExp, string]> = [
  [
    "a kernel + initramfs boot (no ESP to copy)",
    () =>
      installToDisk(
        { record: { ...live, partition: null }, disk: file("a.img", 4096 * MiB), wipe: true, config },
        fakeCalls([]),
      ),
    /Cannot install: the node booted without an ESP/,
    "failed-precondition",
  ],
  [
    "a disk that does not exist",
    () => installToDisk({ record: live, disk: "/dev/missing", wipe: true, config }, fakeCalls([])),
    /Install disk not found: \/dev\/missing/,
    "not-found",
  ],
  [
    "a partition",
    () => {
      const disk = file("b.img", 4096 * MiB);
      return installToDisk(
        { record: live, disk, wipe: true, config },
        fakeCalls([], { [disk]: "partition" }),
      );
    },
    /is a partition: Stele installs to a whole disk/,
    "invalid-argument",
  ],
  [
    "the boot medium itself",
    () => installToDisk({ record: live, disk: medium, wipe: true, config }, fakeCalls([])),
    /is the boot medium this node runs from/,
    "failed-precondition",
  ],
  [
    "a disk too small",
    () =>
      installToDisk({ record: live, disk: file("small.img", 1024 * MiB), wipe: true, config }, fakeCalls([])),
    /Disk too small for Stele: .* needs at least \d+ bytes \(\d+ MiB\)/,
    "failed-precondition",
  ],
];
for (const [what, run, message, code] of refusals) {
  test(`refuses ${what}`, async () => {
    await assert.rejects(run(), { code, message });
  });
}

test("refuses a disk with another GPT unless wiped, naming what it holds and writing nothing", async () => {
  const disk = file("other.img", 4096 * MiB);
  writeGpt(disk, {
    partitions: [{ name: "Windows", type: PartitionType.linuxFilesystem, firstLba: 2048, lastLba: 4095 }],
  });
  const before = sha(disk);
  await assert.rejects(installToDisk({ record: live, disk, wipe: false, config }, fakeCalls([])), {
    code: "failed-precondition",
    message:
      /Refusing to install to .*other\.img: it holds a GPT partition table that is not Stele's \(Windows\)/,
    hint: /install\.wipe: true/,
  });
  assert.equal(sha(disk), before);
  // A Stele layout (a reinstall) needs no wipe.
  await installToDisk({ record: live, disk, wipe: true, config }, fakeCalls([]));
  await installToDisk({ record: live, disk, wipe: false, config }, fakeCalls([]));
});
