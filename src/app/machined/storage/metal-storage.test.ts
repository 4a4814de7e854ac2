import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BootRecord } from "../../../machinery/boot/boot-record.ts";
import type { GptPartition } from "../../../pkg/gpt/index.ts";
import type { BootDiskGrowth, GrowBootDiskOptions } from "./grow-boot-disk.ts";
import { type DiskGrowthCalls, mountMetalStorage, type StorageCalls } from "./metal-storage.ts";

const MiB = 2 ** 20;
const record: BootRecord = {
  schema: 1,
  root: "/dev/vda3",
  disk: "/dev/vda",
  partition: { index: 3, name: "BOOT-A", guid: "x", offset: 6 * MiB, size: MiB },
  medium: "disk",
};
const partitions: GptPartition[] = ["EFI", "BIOS", "BOOT-A", "BOOT-B", "META", "STATE", "EPHEMERAL"].map(
  (name, i) => ({
    number: i + 1,
    name,
    type: "t",
    guid: `g${i + 1}`,
    firstLba: i,
    lastLba: i,
    attributes: 0n,
  }),
);
/** An ext superblock (magic 0xEF53 at 56) as read at offset 1024. */
const FORMATTED = (() => {
  const bytes = new Uint8Array(1024);
  bytes[56] = 0x53;
  bytes[57] = 0xef;
  return bytes;
})();

function storage(log: string[], formatted: string[] = []): StorageCalls {
  return {
    partitions: () => partitions,
    read: (device) => (formatted.includes(device) ? FORMATTED : new Uint8Array(1024)),
    formatExt4: (device) => log.push(`mkfs ${device}`),
    mount: (source, target) => log.push(`mount ${source} ${target}`),
    isMounted: () => false,
    umount: () => {},
    remountReadOnly: () => {},
    mkdir: () => {},
    sync: () => {},
  };
}

function growth(
  log: string[],
  behaviour: { grown?: BootDiskGrowth; reread?: Error; resize?: Error; grow?: Error },
): DiskGrowthCalls & { asked: GrowBootDiskOptions[] } {
  const asked: GrowBootDiskOptions[] = [];
  return {
    asked,
    grow(disk, options) {
      asked.push(options);
      if (behaviour.grow) throw behaviour.grow;
      log.push(`grow ${disk}`);
      return behaviour.grown ?? { rewritten: false };
    },
    rereadPartitions(disk) {
      if (behaviour.reread) throw behaviour.reread;
      log.push(`BLKRRPART ${disk}`);
    },
    resizePartition(disk, { number, start, length }) {
      if (behaviour.resize) throw behaviour.resize;
      log.push(`BLKPG resize ${disk} ${number} ${start}+${length}`);
    },
    attachWindow(disk, offset, size) {
      log.push(`loop /dev/loop3 over ${disk} ${offset}+${size}`);
      return { path: "/dev/loop3", close: () => log.push("close /dev/loop3") };
    },
  };
}

const GROWN: BootDiskGrowth = {
  rewritten: true,
  ephemeral: { number: 7, offset: 700 * MiB, size: 9 * 1024 * MiB },
};

describe("mountMetalStorage on a disk larger than its GPT", () => {
  test("first boot: the disk grows while EPHEMERAL is blank, the kernel re-reads it, then EPHEMERAL is formatted", () => {
    const log: string[] = [];
    const calls = growth(log, { grown: GROWN });
    mountMetalStorage(record, { root: "/r", calls: storage(log), growth: calls, log: () => {} });
    assert.deepEqual(
      calls.asked.map((o) => o.ephemeralBlank),
      [true],
    );
    assert.deepEqual(log, [
      "grow /dev/vda",
      "BLKRRPART /dev/vda",
      "mkfs /dev/vda6",
      "mount /dev/vda6 /r/system/state",
      "mkfs /dev/vda7",
      "mount /dev/vda7 /r/var",
    ]);
  });

  test("the kernel refuses to re-read while the root is mounted: it resizes EPHEMERAL alone, which is then formatted", () => {
    const log: string[] = [];
    const lines: string[] = [];
    const calls = growth(log, { grown: GROWN, reread: new Error("ioctl(BLKRRPART): EBUSY") });
    mountMetalStorage(record, {
      root: "/r",
      calls: storage(log, ["/dev/vda6"]),
      growth: calls,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(log, [
      "grow /dev/vda",
      `BLKPG resize /dev/vda 7 ${700 * MiB}+${9 * 1024 * MiB}`,
      "mount /dev/vda6 /r/system/state",
      "mkfs /dev/vda7",
      "mount /dev/vda7 /r/var",
    ]);
    assert.ok(lines.some((l) => /resized partition 7 \(EPHEMERAL\)/.test(l)));
  });

  test("the kernel refuses to re-read and to resize: EPHEMERAL is made and mounted on a loop device over its new range", () => {
    const log: string[] = [];
    const lines: string[] = [];
    const calls = growth(log, {
      grown: GROWN,
      reread: new Error("ioctl(BLKRRPART): EBUSY"),
      resize: new Error("ioctl(BLKPG_RESIZE_PARTITION): EBUSY"),
    });
    mountMetalStorage(record, {
      root: "/r",
      calls: storage(log, ["/dev/vda6"]),
      growth: calls,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(log, [
      "grow /dev/vda",
      `loop /dev/loop3 over /dev/vda ${700 * MiB}+${9 * 1024 * MiB}`,
      "mount /dev/vda6 /r/system/state",
      "mkfs /dev/loop3",
      "mount /dev/loop3 /r/var",
      "close /dev/loop3",
    ]);
    assert.ok(
      lines.some((l) => /EBUSY.*EPHEMERAL is \/dev\/loop3 over its new range until the next boot/.test(l)),
    );
  });

  test("EPHEMERAL formatted already: growth is told so, and the partition is mounted as it is", () => {
    const log: string[] = [];
    const calls = growth(log, { grown: { rewritten: true }, reread: new Error("EBUSY") });
    mountMetalStorage(record, {
      root: "/r",
      calls: storage(log, ["/dev/vda6", "/dev/vda7"]),
      growth: calls,
      log: () => {},
    });
    assert.deepEqual(
      calls.asked.map((o) => o.ephemeralBlank),
      [false],
    );
    assert.deepEqual(log, ["grow /dev/vda", "mount /dev/vda6 /r/system/state", "mount /dev/vda7 /r/var"]);
  });

  test("a disk that cannot be grown is one console line, and the node boots with the sizes it has", () => {
    const log: string[] = [];
    const lines: string[] = [];
    const calls = growth(log, { grow: new Error("Invalid GPT on /dev/vda: both damaged") });
    mountMetalStorage(record, {
      root: "/r",
      calls: storage(log, ["/dev/vda6", "/dev/vda7"]),
      growth: calls,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(log, ["mount /dev/vda6 /r/system/state", "mount /dev/vda7 /r/var"]);
    assert.match(
      lines[0]!,
      /^\/dev\/vda: cannot grow to the size of the disk, booting with the sizes it has: Invalid GPT/,
    );
  });
});
