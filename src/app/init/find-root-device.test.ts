import assert from "node:assert/strict";
import { test } from "node:test";
import { findRootDevice, type ProbedPartition, type RootProbe } from "./find-root-device.ts";

const MiB = 1024 * 1024;

/** A disk in the fake machine: a whole-disk magic, or a GPT whose partitions each start with a magic. */
interface FakeDisk {
  magic?: string;
  partitions?: Array<Partial<ProbedPartition> & { magic: string }>;
}

/** A probe over a fixed table of disks, with a fake clock that each sleep advances. */
function probe(disks: Record<string, FakeDisk>, extra: Partial<RootProbe> = {}): RootProbe {
  let clock = 0;
  const table = (name: string): ProbedPartition[] | undefined =>
    disks[name]?.partitions?.map((p, i) => ({
      number: p.number ?? i + 1,
      name: p.name ?? "",
      guid: p.guid ?? `00000000-0000-4000-8000-${name.padStart(12, "0")}`.slice(0, 36),
      type: p.type ?? "0fc63daf-8483-4772-8e79-3d69d8477de4",
      offset: p.offset ?? (i + 1) * MiB,
      size: p.size ?? MiB,
    }));
  return {
    requested: undefined,
    listDisks: () => Object.keys(disks),
    readPartitions: table,
    readMagic: (device, offset) => {
      const disk = disks[device];
      if (disk === undefined) return undefined;
      if (offset === 0) return disk.magic ?? "\0\0\0\0";
      const index = table(device)?.findIndex((p) => p.offset === offset) ?? -1;
      return index >= 0 ? disk.partitions![index]!.magic : "\0\0\0\0";
    },
    loaderPartUuid: () => undefined,
    timeoutMs: 1000,
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    ...extra,
  };
}

const ESP_GUID = "11111111-2222-4333-8444-555555555555";
const installed: FakeDisk = {
  partitions: [
    { name: "EFI", magic: "\xeb\x3c\x90m", guid: ESP_GUID },
    { name: "BIOS", magic: "\0\0\0\0" },
    { name: "BOOT-A", magic: "hsqs", number: 3, offset: 3 * MiB, size: 512 * MiB },
    { name: "BOOT-B", magic: "hsqs" },
  ],
};
const iso: FakeDisk = {
  magic: "\0\0\0\0",
  partitions: [
    { name: "Appended2", magic: "\xeb\x3c\x90m" },
    {
      name: "Appended3",
      magic: "hsqs",
      offset: 40 * MiB,
      size: 80 * MiB,
      guid: "AAAAAAAA-0000-4000-8000-000000000003",
    },
  ],
};

test("a whole disk starting with the squashfs magic (kernel + initramfs boot) is a live root", async () => {
  const found = await findRootDevice(probe({ vda: { magic: "hsqs" } }));
  assert.deepEqual(found, {
    disk: "/dev/vda",
    partition: null,
    device: "/dev/vda",
    reason: "first squashfs",
  });
});

test("orders vdz before vdaa, as the kernel names them, and ignores loop and ram devices", async () => {
  const found = await findRootDevice(
    probe({
      loop0: { magic: "hsqs" },
      ram0: { magic: "hsqs" },
      vdaa: { magic: "hsqs" },
      vdz: { magic: "hsqs" },
    }),
  );
  assert.equal(found.device, "/dev/vdz");
});

test("a squashfs partition of a CD-ROM has no device node: it is found by GPT, at its byte offset", async () => {
  const found = await findRootDevice(probe({ sr0: iso }));
  assert.equal(found.disk, "/dev/sr0");
  assert.equal(found.device, undefined);
  assert.deepEqual(found.partition, {
    index: 2,
    name: "Appended3",
    guid: "aaaaaaaa-0000-4000-8000-000000000003",
    offset: 40 * MiB,
    size: 80 * MiB,
  });
});

test("the same ISO written to a USB stick is mounted through its partition node", async () => {
  assert.equal((await findRootDevice(probe({ sda: iso }))).device, "/dev/sda2");
  assert.equal((await findRootDevice(probe({ nvme0n1: iso }))).device, "/dev/nvme0n1p2");
});

test("BOOT-A wins over an earlier disk's squashfs, and over BOOT-B on the same disk", async () => {
  const found = await findRootDevice(probe({ sr0: iso, vda: installed }));
  assert.equal(found.reason, "BOOT-A");
  assert.equal(found.device, "/dev/vda3");
  assert.equal(found.partition?.name, "BOOT-A");
});

test("LoaderDevicePartUUID picks the disk the firmware booted, even when another has BOOT-A", async () => {
  const other: FakeDisk = {
    partitions: [{ name: "BOOT-A", magic: "hsqs", guid: "99999999-0000-4000-8000-000000000000" }],
  };
  const found = await findRootDevice(
    probe({ vda: other, vdb: installed }, { loaderPartUuid: () => ESP_GUID.toUpperCase() }),
  );
  assert.equal(found.reason, "LoaderDevicePartUUID");
  assert.equal(found.device, "/dev/vdb3");
});

test("waits a moment for more disks before taking a squashfs that is not BOOT-A", async () => {
  const disks: Record<string, FakeDisk> = { sr0: iso };
  let polls = 0;
  const found = await findRootDevice(
    probe(disks, {
      listDisks: () => {
        if (++polls === 3) disks.vda = installed;
        return Object.keys(disks);
      },
    }),
  );
  assert.equal(found.device, "/dev/vda3");
});

test("waits for a disk that appears late", async () => {
  const disks: Record<string, FakeDisk> = {};
  let polls = 0;
  const found = await findRootDevice(
    probe(disks, {
      listDisks: () => {
        if (++polls === 5) disks.vda = installed;
        return Object.keys(disks);
      },
    }),
  );
  assert.equal(found.device, "/dev/vda3");
  assert.equal(polls, 5);
});

test("takes the device stele.root= names, with or without /dev/", async () => {
  for (const requested of ["/dev/vdb", "vdb"]) {
    const found = await findRootDevice(
      probe({ vda: { magic: "hsqs" }, vdb: { magic: "xxxx" } }, { requested }),
    );
    assert.deepEqual(found, { disk: null, partition: null, device: "/dev/vdb", reason: "stele.root" });
  }
});

test("fails after the timeout naming the block devices it saw", async () => {
  await assert.rejects(
    findRootDevice(probe({ vda: { magic: "\x7fELF" }, sda: { partitions: [{ magic: "XFSB" }] } })),
    {
      name: "SteleError",
      code: "not-found",
      message: /no disk or GPT partition starts with the squashfs magic \(block devices: vda, sda\)/,
    },
  );
  await assert.rejects(findRootDevice(probe({ vda: { magic: "hsqs" } }, { requested: "/dev/vdq" })), {
    message: /Root device not found: \/dev\/vdq/,
  });
});
