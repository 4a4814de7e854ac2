/**
 * The installer against the real kernel, as root with loop devices (skipped otherwise): a small live
 * "medium" (a GPT with an ESP made by mkfs.fat and a squashfs made by mksquashfs) is installed onto a
 * 3 GiB sparse file behind a loop device, and the result is checked with the tools people use:
 * sgdisk, e2fsck, blkid, debugfs, and Stele's own META reader.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { BootRecord } from "../../../machinery/boot/boot-record.ts";
import { PartitionType, readGpt, SteleLabel, writeGpt } from "../../../pkg/gpt/index.ts";
import { attachLoopDevice } from "../../../pkg/linux/index.ts";
import { decodeUpgradeState, readMeta } from "../../../pkg/meta/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { installToDisk } from "./install-to-disk.ts";
import { systemInstallCalls } from "./system-install-calls.ts";

const MiB = 1024 * 1024;
const TOOLS = ["mksquashfs", "mkfs.fat", "sgdisk", "e2fsck", "debugfs", "losetup", "blkid", "mke2fs"];
const missing = TOOLS.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
const skip =
  process.getuid?.() !== 0
    ? "needs root (loop devices, mount)"
    : !existsSync("/dev/loop-control")
      ? "no loop devices"
      : missing.length > 0
        ? `missing tools: ${missing.join(", ")}`
        : false;

let dir: string;
const loops: string[] = [];
let medium: string;
let esp: Buffer;
let squashfs: Buffer;
let record: BootRecord;
const CONFIG_TEXT = "# the machine config, as applied\nversion: v1alpha1\n";
const config = { text: CONFIG_TEXT, parsed: {}, warnings: [] } as unknown as LoadedConfig;
const lines: string[] = [];

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A sparse file of `size` bytes behind a new loop device with partition scanning. */
function loopDisk(name: string, size: number): string {
  const file = join(dir, name);
  writeFileSync(file, "");
  truncateSync(file, size);
  const device = sh("losetup", ["--find", "--show", "--partscan", file]).trim();
  loops.push(device);
  return device;
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const deviceBytes = (device: string, offset: number, length: number) => {
  const all = execFileSync(
    "dd",
    [
      `if=${device}`,
      "bs=1M",
      "iflag=skip_bytes,count_bytes",
      `skip=${offset}`,
      `count=${length}`,
      "status=none",
    ],
    {
      maxBuffer: 1 << 30,
    },
  );
  return all;
};

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "install-real-"));
  // The medium: ESP (FAT, 8 MiB) and a squashfs, in a GPT, as the ISO's appended partitions.
  const espFile = join(dir, "esp.img");
  sh("mkfs.fat", ["-C", "-n", "STELE-ESP", espFile, String(8 * 1024)]);
  esp = readFileSync(espFile);
  const tree = join(dir, "tree");
  mkdirSync(join(tree, "etc"), { recursive: true });
  writeFileSync(join(tree, "etc/os-release"), "ID=stele\n");
  writeFileSync(join(tree, "payload"), Buffer.alloc(300_000, 7));
  const sqsh = join(dir, "rootfs.sqsh");
  sh("mksquashfs", [tree, sqsh, "-noappend", "-quiet", "-all-root"]);
  squashfs = readFileSync(sqsh);
  medium = join(dir, "medium.img");
  writeFileSync(medium, "");
  truncateSync(medium, 32 * MiB);
  const table = writeGpt(medium, {
    partitions: [
      { name: "ESP", type: PartitionType.efiSystem, firstLba: 2048, lastLba: 2048 + (8 * MiB) / 512 - 1 },
      {
        name: "rootfs",
        type: PartitionType.linuxFilesystem,
        firstLba: 20480,
        lastLba: 20480 + (8 * MiB) / 512 - 1,
      },
    ],
  });
  const fs = execFileSync("dd", [`of=${medium}`, "conv=notrunc", "bs=512", "seek=2048", "status=none"], {
    input: esp,
  });
  void fs;
  execFileSync("dd", [`of=${medium}`, "conv=notrunc", "bs=512", "seek=20480", "status=none"], {
    input: squashfs,
  });
  const root = table.partitions[1]!;
  record = {
    schema: 1,
    root: "/dev/loop99",
    disk: medium,
    partition: { index: 2, name: "rootfs", guid: root.guid, offset: 20480 * 512, size: 8 * MiB },
    medium: "live",
  };
});

after(() => {
  for (const device of [...loops].reverse()) spawnSync("losetup", ["--detach", device]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The real calls. Where the kernel makes no partitions of loop devices (some CI kernels are built
 * without GPT partition support, and then no /dev/loopNpM ever appears), each partition of the new
 * GPT is shown through a loop device of its own instead, so mke2fs and mount still get real devices.
 */
function calls() {
  mkdirSync(join(dir, "scratch"), { recursive: true });
  const real = systemInstallCalls({ scratchDir: join(dir, "scratch"), log: (line) => lines.push(line) });
  if (kernelPartitionsLoops) return real;
  return {
    ...real,
    async rereadPartitions(disk: string) {
      const { table } = readGpt(disk);
      const nodes = new Map<number, string>();
      for (const p of table.partitions) {
        const loop = attachLoopDevice(disk, {
          offset: p.firstLba * 512,
          size: (p.lastLba - p.firstLba + 1) * 512,
          readOnly: false,
        });
        loop.close();
        loops.push(loop.path);
        nodes.set(p.number, loop.path);
      }
      partitionNodes.set(disk, nodes);
      return nodes;
    },
  };
}

/** The devices that show each partition, by disk: `/dev/loopNpM`, or a loop device per partition. */
const partitionNodes = new Map<string, Map<number, string>>();
const partitionNode = (disk: string, number: number) =>
  partitionNodes.get(disk)?.get(number) ?? `${disk}p${number}`;

/** Whether this kernel creates partition nodes for a loop device with --partscan. */
let kernelPartitionsLoops = false;
before(() => {
  if (skip) return;
  const probe = loopDisk("probe.img", 8 * MiB);
  sh("sgdisk", ["-o", "-n", "1:2048:+1M", probe]);
  spawnSync("blockdev", ["--rereadpt", probe]);
  kernelPartitionsLoops = existsSync(`/sys/class/block/${probe.slice(5)}p1`);
});

test("installs onto a blank 3 GiB disk: a clean Stele GPT, the medium's bytes, ext4 STATE with the config, META", {
  skip,
  timeout: 120_000,
}, async () => {
  const disk = loopDisk("blank.img", 3 * 1024 * MiB);
  const result = await installToDisk({ record, disk, wipe: false, config }, calls());
  assert.equal(result.bootSize, 512 * MiB, "a 3 GiB disk gets 512 MiB slots");
  assert.match(sh("sgdisk", ["-v", disk]), /No problems found/);
  const { table } = readGpt(disk);
  assert.deepEqual(
    table.partitions.map((p) => p.name),
    Object.values(SteleLabel),
  );
  const at = (label: string) => {
    const p = table.partitions.find((q) => q.name === label)!;
    return { offset: p.firstLba * 512, number: p.number };
  };
  assert.equal(sha(deviceBytes(disk, at("EFI").offset, esp.length)), sha(esp), "EFI holds the ESP's bytes");
  assert.equal(
    sha(deviceBytes(disk, at("BOOT-A").offset, squashfs.length)),
    sha(squashfs),
    "BOOT-A holds the squashfs",
  );
  for (const label of ["STATE", "EPHEMERAL"]) {
    const device = partitionNode(disk, at(label).number);
    const fsck = spawnSync("e2fsck", ["-n", "-f", device], { encoding: "utf8" });
    assert.equal(fsck.status, 0, `${label}: ${fsck.stdout}${fsck.stderr}`);
    assert.equal(sh("blkid", ["-o", "value", "-s", "LABEL", device]).trim(), label);
    assert.equal(sh("blkid", ["-o", "value", "-s", "TYPE", device]).trim(), "ext4");
  }
  const stored = sh("debugfs", ["-R", "cat /config.yaml", partitionNode(disk, at("STATE").number)]);
  assert.equal(stored, CONFIG_TEXT);
  const meta = table.partitions.find((p) => p.name === "META")!;
  const contents = readMeta(disk, { offset: meta.firstLba * 512, size: MiB });
  assert.deepEqual(decodeUpgradeState(contents.entries), { nextSlot: "A", triesLeft: 0, fallbackSlot: "A" });
  assert.ok(lines.some((line) => /install: GPT written/.test(line)));
});

test("a disk holding an ext4 file system is refused and left unchanged; with wipe it is installed", {
  skip,
  timeout: 120_000,
}, async () => {
  const disk = loopDisk("data.img", 3 * 1024 * MiB);
  sh("mke2fs", ["-t", "ext4", "-q", "-F", disk]);
  const before = sha(deviceBytes(disk, 0, 8 * MiB));
  await assert.rejects(installToDisk({ record, disk, wipe: false, config }, calls()), {
    code: "failed-precondition",
    message: new RegExp(`Refusing to install to ${disk}: it holds an ext2/3/4 file system`),
    hint: /install\.wipe: true/,
  });
  assert.equal(sha(deviceBytes(disk, 0, 8 * MiB)), before, "nothing was written");
  await installToDisk({ record, disk, wipe: true, config }, calls());
  assert.match(sh("sgdisk", ["-v", disk]), /No problems found/);
  assert.equal(readGpt(disk).table.partitions.length, 7);
});
