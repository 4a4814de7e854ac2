import assert from "node:assert/strict";
import { test } from "node:test";
import { findRootDevice, type RootProbe } from "./find-root-device.ts";

/** A probe over a fixed table of disks, with a fake clock that each sleep advances. */
function probe(disks: Record<string, string | undefined>, extra: Partial<RootProbe> = {}): RootProbe {
  let clock = 0;
  return {
    requested: undefined,
    listDisks: () => Object.keys(disks),
    readMagic: (name) => disks[name],
    timeoutMs: 1000,
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    ...extra,
  };
}

test("picks the first virtio disk that starts with the squashfs magic", async () => {
  const found = await findRootDevice(probe({ sda: "hsqs", vdb: "hsqs", vda: "\0\0\0\0", vdc: "hsqs" }));
  assert.equal(found, "/dev/vdb");
});

test("orders vdz before vdaa, as the kernel names them", async () => {
  assert.equal(await findRootDevice(probe({ vdaa: "hsqs", vdz: "hsqs" })), "/dev/vdz");
});

test("takes the device stele.root= names, with or without /dev/", async () => {
  assert.equal(
    await findRootDevice(probe({ vda: "hsqs", vdb: "xxxx" }, { requested: "/dev/vdb" })),
    "/dev/vdb",
  );
  assert.equal(await findRootDevice(probe({ vda: "hsqs", vdb: "xxxx" }, { requested: "vdb" })), "/dev/vdb");
});

test("waits for a disk that appears late", async () => {
  const disks: Record<string, string | undefined> = {};
  let polls = 0;
  const found = await findRootDevice(
    probe(disks, {
      listDisks: () => {
        if (++polls === 5) disks.vda = "hsqs";
        return Object.keys(disks);
      },
    }),
  );
  assert.equal(found, "/dev/vda");
  assert.equal(polls, 5);
});

test("fails after the timeout naming the block devices it saw", async () => {
  await assert.rejects(findRootDevice(probe({ vda: "\x7fELF", sda: "hsqs" })), {
    name: "SteleError",
    code: "not-found",
    message: /no virtio disk starts with the squashfs magic \(block devices: vda, sda\)/,
  });
  await assert.rejects(findRootDevice(probe({ vda: "hsqs" }, { requested: "/dev/vdq" })), {
    message: /Root device not found: \/dev\/vdq/,
  });
});
