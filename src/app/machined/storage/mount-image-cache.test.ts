import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IMAGE_CACHE_LABEL } from "./image-cache-label.ts";
import { type ImageCacheCalls, mountImageCache, SYSTEM_IMAGE_CACHE_CALLS } from "./mount-image-cache.ts";

let dir = "";
/** Disk images standing in for block devices, made by the host's mke2fs as a disk would be. */
const disks: Record<string, string> = {};

function disk(name: string, mkfs?: string[]): string {
  const path = join(dir, name);
  closeSync(openSync(path, "w"));
  truncateSync(path, 8 * 2 ** 20);
  if (mkfs) {
    const result = spawnSync("mke2fs", ["-q", "-F", ...mkfs, path], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
  }
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "image-cache-"));
  disks.blank = disk("blank");
  disks.ephemeral = disk("ephemeral", ["-t", "ext4", "-L", "EPHEMERAL"]);
  disks.cache = disk("cache", ["-t", "ext4", "-L", IMAGE_CACHE_LABEL]);
  disks.otherCache = disk("other-cache", ["-t", "ext4", "-L", IMAGE_CACHE_LABEL]);
  disks.lowerCase = disk("lower", ["-t", "ext4", "-L", "imagecache"]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Real reads of the disk images; mounts and directories recorded. */
function fakeCalls(
  devices: string[],
  options: { mounted?: boolean; mountFails?: boolean; files?: string[]; unreadable?: string[] } = {},
) {
  const log: string[] = [];
  const calls: ImageCacheCalls = {
    blockDevices: () => devices,
    read(device, offset, length) {
      if (options.unreadable?.includes(device)) throw new Error(`ENOMEDIUM: ${device}`);
      return SYSTEM_IMAGE_CACHE_CALLS.read(device, offset, length);
    },
    mount(source, target, mountOptions) {
      if (options.mountFails) throw new Error("EINVAL (Invalid argument)");
      log.push(`mount ${source} ${target} ${mountOptions.type} ${mountOptions.flags?.join(",")}`);
    },
    isMounted: () => options.mounted ?? false,
    mkdir: (path) => log.push(`mkdir ${path}`),
    readDir: () => options.files ?? [],
  };
  return { calls, log };
}

describe("mountImageCache", () => {
  test("mounts the file system labelled IMAGECACHE read-only, nosuid, nodev, noexec at /system/image-cache", () => {
    const { calls, log } = fakeCalls([disks.blank!, disks.ephemeral!, disks.cache!], {
      files: ["etcd.oci.tar", "pause.oci.tar", "lost+found", "notes.txt"],
    });
    const lines: string[] = [];
    const cache = mountImageCache({ root: "/r", calls, log: (line) => lines.push(line) });
    assert.deepEqual(cache, { device: disks.cache, target: "/r/system/image-cache", archives: 2 });
    assert.deepEqual(log, [
      "mkdir /r/system/image-cache",
      `mount ${disks.cache} /r/system/image-cache ext4 rdonly,nosuid,nodev,noexec`,
    ]);
    assert.deepEqual(lines, [`image cache: ${disks.cache} mounted, 2 archives`]);
  });

  test("without such a file system nothing is mounted and nothing is said", () => {
    const { calls, log } = fakeCalls([disks.blank!, disks.ephemeral!, disks.lowerCase!]);
    const lines: string[] = [];
    const cache = mountImageCache({ root: "/r", calls, log: (line) => lines.push(line) });
    assert.equal(cache.device, undefined);
    assert.deepEqual(log, []);
    assert.deepEqual(lines, []);
  });

  test("a device that cannot be read (a CD-ROM drive without a disc) is skipped", () => {
    const { calls } = fakeCalls(["/dev/sr0", disks.cache!], { unreadable: ["/dev/sr0"] });
    assert.equal(mountImageCache({ calls, log: () => {} }).device, disks.cache);
  });

  test("the first of two caches in device order is mounted", () => {
    const { calls, log } = fakeCalls([disks.otherCache!, disks.cache!]);
    assert.equal(mountImageCache({ calls, log: () => {} }).device, disks.otherCache);
    assert.equal(log.filter((line) => line.startsWith("mount")).length, 1);
  });

  test("a mount the kernel refuses is one console line, never an error: the node pulls instead", () => {
    const { calls } = fakeCalls([disks.cache!], { mountFails: true });
    const lines: string[] = [];
    const cache = mountImageCache({ root: "/r", calls, log: (line) => lines.push(line) });
    assert.equal(cache.device, undefined);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^image cache: cannot mount .*cache \(labelled IMAGECACHE\).*: EINVAL/);
  });

  test("already mounted (machined re-executed itself): left as it is, and said once", () => {
    const { calls, log } = fakeCalls([disks.cache!], { mounted: true, files: ["etcd.oci.tar"] });
    const lines: string[] = [];
    mountImageCache({ root: "/r", calls, log: (line) => lines.push(line) });
    assert.deepEqual(log, []);
    assert.deepEqual(lines, ["image cache: already mounted at /r/system/image-cache, 1 archive"]);
  });
});
