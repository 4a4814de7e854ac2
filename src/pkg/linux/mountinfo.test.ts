import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMountinfo, readMountinfo } from "./mountinfo.ts";

const SAMPLE = [
  "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard",
  "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:7 master:1 - cgroup2 cgroup2 rw",
  "50 27 254:0 /srv/my\\040dir /mnt/with\\040space ro,nosuid - ext4 /dev/vda rw",
  "not a mountinfo line",
].join("\n");

test("parseMountinfo reads every field, optional fields skipped and octal escapes undone", () => {
  const mounts = parseMountinfo(SAMPLE);
  assert.equal(mounts.length, 5);
  assert.deepEqual(mounts[3], {
    id: 41,
    parentId: 31,
    device: "0:38",
    root: "/",
    target: "/sys/fs/cgroup/unified",
    mountOptions: ["rw", "relatime"],
    fstype: "cgroup2",
    source: "cgroup2",
    superOptions: ["rw"],
  });
  assert.equal(mounts[4]?.root, "/srv/my dir");
  assert.equal(mounts[4]?.target, "/mnt/with space");
  assert.deepEqual(mounts[4]?.mountOptions, ["ro", "nosuid"]);
  assert.deepEqual(mounts[2]?.superOptions, ["rw", "memory"]);
});

test("readMountinfo of this process has a root mount", () => {
  assert.ok(readMountinfo().some((m) => m.target === "/"));
});
