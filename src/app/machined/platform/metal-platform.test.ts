import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { StorageCalls } from "../storage/metal-storage.ts";
import { type MetalCalls, MetalPlatform } from "./metal-platform.ts";

const dir = mkdtempSync(join(tmpdir(), "metal-platform-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Storage calls that only make directories and record what would be mounted. */
function fakeStorage(log: string[] = []): StorageCalls {
  return {
    partitions: () => [],
    read: () => new Uint8Array(1024),
    formatExt4: (device) => log.push(`mkfs ${device}`),
    mount: (source, target) => log.push(`mount ${source} ${target}`),
    isMounted: () => false,
    umount: (target) => log.push(`umount ${target}`),
    remountReadOnly: () => {},
    mkdir: (path) => mkdirSync(path, { recursive: true }),
    sync: () => log.push("sync"),
  };
}

function spyCalls(): MetalCalls & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    sethostname: (name) => log.push(`sethostname ${name}`),
    reboot: (command) => log.push(`reboot ${command}`),
    reexec: () => log.push("reexec"),
  };
}

test("refuses to run unless machined is PID 1, saying what to run instead", () => {
  assert.throws(() => new MetalPlatform({ pid: 4242, root: dir }), {
    code: "failed-precondition",
    message: /Refusing the metal platform: machined is PID 4242, not PID 1/,
    hint: /--platform container/,
  });
});

test("paths: STATE /system/state, EPHEMERAL /var, run /system/run; without a boot record they are tmpfs", () => {
  const lines: string[] = [];
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    bootRecord: null,
    storage: fakeStorage(),
    calls: spyCalls(),
    log: (line) => lines.push(line),
  });
  assert.deepEqual(platform.paths, {
    state: join(dir, "system/state"),
    ephemeral: join(dir, "var"),
    meta: join(dir, "system/meta.json"),
    run: join(dir, "system/run"),
  });
  for (const path of [platform.paths.state, platform.paths.ephemeral, platform.paths.run])
    assert.ok(existsSync(path));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /STATE and EPHEMERAL are tmpfs \(no boot record\): nothing persists/);
  assert.equal(platform.install, undefined, "no record, no installer");
  assert.equal(platform.mode, "metal");
});

test("hostname by sethostname(2); with STATE on a partition, reboot and poweroff by reboot(2)", async () => {
  const calls = spyCalls();
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    bootRecord: null,
    storage: fakeStorage(),
    calls,
    persistentState: true,
  });
  await platform.setHostname("node-m");
  assert.equal(platform.hostname(), "node-m");
  await platform.reboot();
  await platform.poweroff();
  assert.deepEqual(calls.log, ["sethostname node-m", "reboot restart", "reboot power-off"]);
});

test("with STATE on tmpfs, reboot re-executes machined: the applied config survives", async () => {
  const calls = spyCalls();
  const platform = new MetalPlatform({ pid: 1, root: dir, bootRecord: null, storage: fakeStorage(), calls });
  await platform.reboot();
  await platform.poweroff();
  assert.deepEqual(calls.log, ["reexec", "reboot power-off"]);
});

test("a refused sethostname fails setHostname and keeps the name it had", async () => {
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    bootRecord: null,
    storage: fakeStorage(),
    calls: {
      sethostname: () => {
        throw new Error("EPERM");
      },
      reboot: () => {},
      reexec: () => {},
    },
  });
  const before = platform.hostname();
  await assert.rejects(platform.setHostname("x"), /EPERM/);
  assert.equal(platform.hostname(), before);
});

const MiB = 1024 * 1024;
const partition = (number: number, name: string) => ({
  number,
  name,
  guid: `00000000-0000-4000-8000-00000000000${number}`,
  type: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
  firstLba: number * 2048,
  lastLba: number * 2048 + 2047,
  attributes: 0n,
});
const installedDisk = ["EFI", "BIOS", "BOOT-A", "BOOT-B", "META", "STATE", "EPHEMERAL"].map((name, i) =>
  partition(i + 1, name),
);

test("booted from an installed disk: STATE and EPHEMERAL formatted when blank, mounted, released before reboot(2)", async () => {
  const log: string[] = [];
  const storage = fakeStorage(log);
  storage.partitions = () => installedDisk;
  // STATE already holds ext4 (its magic at byte 1024+56); EPHEMERAL is blank, as the raw image leaves it.
  storage.read = (device) => {
    const superblock = new Uint8Array(1024);
    if (device === "/dev/vda6") superblock.set([0x53, 0xef], 56);
    return superblock;
  };
  const lines: string[] = [];
  const calls = spyCalls();
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    calls,
    storage,
    log: (line) => lines.push(line),
    bootRecord: {
      schema: 1,
      root: "/dev/vda3",
      disk: "/dev/vda",
      partition: { index: 3, name: "BOOT-A", guid: "x", offset: 6 * MiB, size: MiB },
      medium: "disk",
    },
  });
  assert.deepEqual(log, [
    `mount /dev/vda6 ${join(dir, "system/state")}`,
    "mkfs /dev/vda7",
    `mount /dev/vda7 ${join(dir, "var")}`,
  ]);
  assert.ok(lines.some((line) => /EPHEMERAL \(\/dev\/vda7\) is blank: formatting it as ext4/.test(line)));
  assert.equal(platform.install, undefined, "an installed node does not install");
  log.length = 0;
  await platform.reboot();
  assert.deepEqual(log, ["sync", `umount ${join(dir, "var")}`, `umount ${join(dir, "system/state")}`]);
  assert.deepEqual(calls.log, ["reboot restart"]);
});

test("a boot disk without a STATE partition is an error naming what it has", () => {
  const storage = fakeStorage();
  storage.partitions = () => [partition(1, "EFI"), partition(2, "root")];
  assert.throws(
    () =>
      new MetalPlatform({
        pid: 1,
        root: dir,
        calls: spyCalls(),
        storage,
        bootRecord: {
          schema: 1,
          root: "/dev/sda3",
          disk: "/dev/sda",
          partition: { index: 3, name: "BOOT-A", guid: "x", offset: 0, size: MiB },
          medium: "disk",
        },
      }),
    { code: "failed-precondition", message: /Boot disk \/dev\/sda has no STATE partition: found EFI, root/ },
  );
});

test("booted live: tmpfs, and an installer whose success turns the next reboot into reboot(2)", async () => {
  const log: string[] = [];
  const calls = spyCalls();
  const installLog: string[] = [];
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    calls,
    storage: fakeStorage(log),
    bootRecord: { schema: 1, root: "/dev/vda", disk: "/dev/vda", partition: null, medium: "live" },
    install: {
      resolve: (path) => path,
      kind: () => "disk",
      open: () => {
        throw new Error("not reached");
      },
      rereadPartitions: async () => new Map(),
      formatExt4: () => {},
      withMountedState: () => {},
      writeConfig: () => {},
      log: (line) => installLog.push(line),
    },
  });
  assert.deepEqual(log, [`mount tmpfs ${join(dir, "system/state")}`, `mount tmpfs ${join(dir, "var")}`]);
  assert.ok(platform.install);
  // A kernel + initramfs boot whose install disk is absent keeps the config in memory.
  const config = {
    text: "",
    warnings: [],
    parsed: { machineConfig: { install: { disk: "/dev/nope", wipe: false } } },
  };
  const outcome = await platform.install(config as never);
  assert.equal(outcome.installed, false);
  await platform.reboot();
  assert.deepEqual(calls.log, ["reexec"]);
});
