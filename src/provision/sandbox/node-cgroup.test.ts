/**
 * Node cgroups: the parsers on samples, and join/remove against this host's real hierarchies under
 * a top-level cgroup of the test's own (`/stele-test-<random>`), removed in `after`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { isSteleError } from "../../machinery/errors.ts";
import { parseMountinfo } from "../../pkg/linux/index.ts";
import {
  cgroupHierarchies,
  checkCgroupPath,
  joinNodeCgroup,
  leaveNodeCgroup,
  parseProcCgroup,
  removeNodeCgroup,
} from "./node-cgroup.ts";

const TOP = `/stele-test-${randomBytes(4).toString("hex")}`;
const children: ChildProcess[] = [];

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(
    children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, "exit") : undefined)),
  );
  await removeNodeCgroup(`${TOP}/a`, { timeoutMs: 2000 }).catch(() => {});
  await removeNodeCgroup(`${TOP}/b`, { timeoutMs: 2000 }).catch(() => {});
});

const HYBRID = parseMountinfo(
  [
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children",
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate",
    // The same cpuset hierarchy bound again elsewhere, and a sub-cgroup bound: neither is a new hierarchy.
    "60 27 0:31 / /mnt/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children",
    "61 27 0:29 /stele/x /mnt/x rw,relatime - cgroup cgroup rw,cpu,cpuacct",
  ].join("\n"),
);

test("cgroupHierarchies lists each mounted hierarchy once, at its root, with its controllers", () => {
  assert.deepEqual(cgroupHierarchies(HYBRID), [
    { mountPoint: "/sys/fs/cgroup/cpu,cpuacct", version: 1, controllers: ["cpu", "cpuacct"] },
    { mountPoint: "/sys/fs/cgroup/cpuset", version: 1, controllers: ["cpuset"] },
    { mountPoint: "/sys/fs/cgroup/systemd", version: 1, controllers: ["name=systemd"] },
    { mountPoint: "/sys/fs/cgroup/unified", version: 2, controllers: [] },
  ]);
  const unified = parseMountinfo("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate");
  assert.deepEqual(cgroupHierarchies(unified), [
    { mountPoint: "/sys/fs/cgroup", version: 2, controllers: [] },
  ]);
});

test("parseProcCgroup keys paths by the controllers as cgroupHierarchies names them", () => {
  const map = parseProcCgroup("9:name=systemd:/\n4:memory:/process_api/x\n2:cpu,cpuacct:/a\n0::/u\n");
  assert.deepEqual(
    [...map],
    [
      ["name=systemd", "/"],
      ["memory", "/process_api/x"],
      ["cpu,cpuacct", "/a"],
      ["", "/u"],
    ],
  );
});

for (const path of ["", "/", "stele/x", "/stele//x", "/stele/../x", "/stele/./x", "/stele/x/"]) {
  test(`checkCgroupPath refuses ${JSON.stringify(path)}`, () => {
    assert.throws(
      () => checkCgroupPath(path),
      (error: unknown) => isSteleError(error) && error.code === "invalid-argument",
    );
  });
}

test("joinNodeCgroup puts a process in the node's cgroup of every hierarchy, cpuset included", async () => {
  const hierarchies = cgroupHierarchies();
  assert.ok(hierarchies.length > 0, "this test needs cgroups mounted");
  const [node, sibling] = [spawnSleep(), spawnSleep()];
  const before = readFileSync(`/proc/${node.pid}/cgroup`, "utf8");
  const joined = joinNodeCgroup(`${TOP}/a/node`, { pid: node.pid! });
  assert.deepEqual(
    joined,
    hierarchies.map((h) => `${h.mountPoint}${TOP}/a/node`),
  );
  const cgroups = parseProcCgroup(readFileSync(`/proc/${node.pid}/cgroup`, "utf8"));
  for (const hierarchy of hierarchies) {
    const key = hierarchy.version === 2 ? "" : hierarchy.controllers.join(",");
    assert.equal(cgroups.get(key), `${TOP}/a/node`, hierarchy.mountPoint);
  }
  // A cgroup such as machined's containerd makes below the node's: removal goes depth-first.
  joinNodeCgroup(`${TOP}/a/node/system/etcd`, { pid: node.pid! });
  joinNodeCgroup(`${TOP}/b/node`, { pid: sibling.pid! });

  await assert.rejects(
    removeNodeCgroup(`${TOP}/a/node`, { timeoutMs: 200 }),
    (error: unknown) =>
      isSteleError(error) && error.code === "busy" && error.message.includes(String(node.pid)),
  );

  leaveNodeCgroup(before, { pid: node.pid! });
  assert.deepEqual(
    parseProcCgroup(readFileSync(`/proc/${node.pid}/cgroup`, "utf8")),
    parseProcCgroup(before),
  );
  await removeNodeCgroup(`${TOP}/a/node`);
  for (const hierarchy of hierarchies) {
    assert.equal(existsSync(`${hierarchy.mountPoint}${TOP}/a`), false, "the emptied parent was pruned");
    assert.equal(existsSync(`${hierarchy.mountPoint}${TOP}`), true, "a parent another node still uses stays");
  }
  sibling.kill("SIGKILL");
  await once(sibling, "exit");
  await removeNodeCgroup(`${TOP}/b/node`);
  for (const hierarchy of hierarchies) assert.equal(existsSync(`${hierarchy.mountPoint}${TOP}`), false);
  await removeNodeCgroup(`${TOP}/b/node`); // idempotent
});

function spawnSleep(): ChildProcess {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(child);
  return child;
}

test("a node joins below a parent a sibling's keeper has just made and not yet given CPUs (v1 cpuset)", async (t) => {
  const cpuset = cgroupHierarchies().find((h) => h.version === 1 && h.controllers.includes("cpuset"));
  if (cpuset === undefined) {
    t.skip("no v1 cpuset hierarchy on this host");
    return;
  }
  // What the sibling left for an instant: the cluster's cgroup made, its cpuset.cpus still empty.
  mkdirSync(`${cpuset.mountPoint}${TOP}/race`, { recursive: true });
  assert.equal(readFileSync(`${cpuset.mountPoint}${TOP}/race/cpuset.cpus`, "utf8").trim(), "");
  const node = spawnSleep();
  try {
    joinNodeCgroup(`${TOP}/race/node`, { pid: node.pid!, hierarchies: [cpuset] });
    assert.notEqual(readFileSync(`${cpuset.mountPoint}${TOP}/race/node/cpuset.cpus`, "utf8").trim(), "");
  } finally {
    node.kill("SIGKILL");
    await once(node, "exit");
    await removeNodeCgroup(`${TOP}/race/node`, { hierarchies: [cpuset] });
  }
});
