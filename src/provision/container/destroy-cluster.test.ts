import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { cgroupMountPoints } from "./cgroup-tree.ts";
import { createClusterNetwork } from "./cluster-network.ts";
import { planCluster } from "./cluster-plan.ts";
import { initialClusterState, writeClusterState } from "./cluster-state.ts";
import { clusterToDestroy, destroyCluster } from "./destroy-cluster.ts";
import { findLeftovers } from "./find-leftovers.ts";
import { isRunning } from "./host-processes.ts";

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), "stele-destroy-"));
after(() => rmSync(work, { recursive: true, force: true }));

function randomPlan() {
  return planCluster({
    name: `t-${randomBytes(3).toString("hex")}`,
    cidr: `10.250.${1 + Math.floor(Math.random() * 254)}.${16 * Math.floor(Math.random() * 16)}/28`,
    stateDir: join(work, "clusters"),
  });
}

const noSandbox = { removeNodeCgroup: async () => {} };

/**
 * Makes a cgroup level by level as a keeper does: in a v1 cpuset hierarchy each new level gets its
 * parent's CPUs and memory nodes, without which it accepts no process (and a later keeper reusing
 * the level would fail too).
 */
function makeCgroup(mountPoint: string, path: string): string {
  let dir = mountPoint;
  for (const segment of path.split("/").filter(Boolean)) {
    const parent = dir;
    dir = join(dir, segment);
    if (existsSync(dir)) continue;
    mkdirSync(dir);
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(dir, file)) && readFileSync(join(dir, file), "utf8").trim() === "") {
        writeFileSync(join(dir, file), readFileSync(join(parent, file), "utf8"));
      }
    }
  }
  return dir;
}

describe("destroy", { skip: !isRoot && "needs root (namespaces, cgroups, loop devices)" }, () => {
  test("removes cgroups in every hierarchy, killing what runs in them, and detaches loop devices", async () => {
    const plan = randomPlan();
    const state = initialClusterState(plan);
    mkdirSync(plan.clusterDir, { recursive: true, mode: 0o700 });
    writeClusterState(state);
    // What a node leaves when its keeper was killed: a process in its cgroups, nested cgroups, a loop device.
    const node = plan.nodes[0]!;
    const sleeper = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
    sleeper.unref();
    try {
      for (const point of cgroupMountPoints()) {
        const dir = makeCgroup(point, join(node.cgroup, "system", "etcd"));
        writeFileSync(join(dir, "cgroup.procs"), String(sleeper.pid));
      }
      writeFileSync(join(plan.clusterDir, "rootfs.sqsh"), Buffer.alloc(64 * 1024));
      await exec("losetup", ["-f", join(plan.clusterDir, "rootfs.sqsh")]);
      const before = await findLeftovers(state);
      assert.deepEqual(
        [...new Set(before.map((l) => l.kind))].sort(),
        ["cgroup", "dir", "loop"],
        JSON.stringify(before),
      );
      assert.equal(before.filter((l) => l.kind === "cgroup").length, cgroupMountPoints().length);
    } finally {
      // Cleans up even when an assertion above failed: a stray cgroup would trouble later clusters.
      await destroyCluster(state, noSandbox);
    }
    assert.deepEqual(await findLeftovers(state), []);
    assert.ok(!isRunning(sleeper.pid!), "the process in the node's cgroup is killed");
  });

  test("a cluster without cluster.json is found by its name: namespaces, links and keepers", async () => {
    const plan = randomPlan();
    await createClusterNetwork(plan);
    mkdirSync(plan.nodes[0]!.nodeDir, { recursive: true });
    // A keeper nobody recorded, in the node's network namespace, naming the cluster dir.
    const keeper = spawn(
      "ip",
      [
        "netns",
        "exec",
        plan.nodes[0]!.netns,
        process.execPath,
        "-e",
        "setInterval(()=>{},1000)",
        "sandbox-keeper",
        "--node-dir",
        plan.nodes[0]!.nodeDir,
      ],
      { detached: true, stdio: "ignore" },
    );
    keeper.unref();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { state, recorded } = clusterToDestroy({ name: plan.name, stateDir: join(work, "clusters") });
    assert.equal(recorded, false);
    const kinds = (await findLeftovers(state)).map((l) => l.kind).sort();
    assert.deepEqual(kinds, ["dir", "link", "link", "link", "netns", "netns", "process"]);
    await destroyCluster(state, noSandbox);
    assert.deepEqual(await findLeftovers(state), []);
    assert.ok(!isRunning(keeper.pid!));
  });

  test("--keep-state keeps the cluster dir and the leftovers check accepts it", async () => {
    const plan = randomPlan();
    const state = initialClusterState(plan);
    mkdirSync(plan.clusterDir, { recursive: true, mode: 0o700 });
    writeClusterState(state);
    await createClusterNetwork(plan);
    await destroyCluster(state, { ...noSandbox, keepState: true });
    assert.deepEqual(await findLeftovers(state, { keepState: true }), []);
    assert.deepEqual(await findLeftovers(state), [{ kind: "dir", what: plan.clusterDir }]);
    await destroyCluster(state, noSandbox);
    assert.deepEqual(await findLeftovers(state), []);
  });

  test("a PID in cluster.json that now belongs to another process is not signalled", async () => {
    const plan = randomPlan();
    const state = initialClusterState(plan);
    const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
    state.nodes[0]!.keeperPid = bystander.pid!;
    try {
      await destroyCluster(state, noSandbox);
      assert.ok(isRunning(bystander.pid!), "a reused PID is checked through its command line first");
    } finally {
      bystander.kill();
    }
  });
});
