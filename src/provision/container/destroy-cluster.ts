import { existsSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { leftoversError } from "../cluster-flow/leftovers-error.ts";
import { removeRecordedContext } from "../cluster-flow/remove-recorded-context.ts";
import { cgroupMountPoints, cgroupTreePids, existingCgroupDirs, removeCgroupTree } from "./cgroup-tree.ts";
import { destroyClusterNetwork, listClusterNetns } from "./cluster-network.ts";
import { planCluster } from "./cluster-plan.ts";
import { type ClusterState, readClusterState } from "./cluster-state.ts";
import { findLeftovers, loopDevicesUnder, mountsUnder } from "./find-leftovers.ts";
import {
  isKeeperOf,
  isRunning,
  processesInNetns,
  processesNaming,
  readPidFile,
  signal,
  waitForExit,
} from "./host-processes.ts";
import type { Progress } from "./progress-reporter.ts";
import { runCommand } from "./run-command.ts";
import { removeSandboxCgroup } from "./sandbox-adapter.ts";
import { waitUntil } from "./wait-until.ts";

/** How long keepers get to stop their nodes after SIGTERM before they and the nodes are killed. */
export const KEEPER_STOP_TIMEOUT_MS = 45_000;

/** Options of destroyCluster. */
export interface DestroyClusterOptions {
  /** Keep the cluster dir (`--keep-state`): configs, secrets, console logs, node state. */
  keepState?: boolean;
  /**
   * The client config to remove the cluster's context from when cluster.json does not say where
   * create merged it.
   */
  clientConfigPath?: string;
  progress?: Progress;
  /** 45 s by default. */
  stopTimeoutMs?: number;
  /** Removes a node's cgroup; the sandbox's removeNodeCgroup by default. */
  removeNodeCgroup?: (cgroupPath: string) => Promise<void>;
  run?: typeof runCommand;
}

/**
 * The state to destroy for a cluster name: its cluster.json, or, when there is none (a create that
 * failed before writing it, or a dir removed by hand), what the name alone finds: the cluster's
 * links and namespaces are named after it, its keepers name its dir.
 */
export function clusterToDestroy(options: { name: string; stateDir?: string | undefined }): {
  state: ClusterState;
  recorded: boolean;
} {
  const plan = planCluster({ name: options.name, stateDir: options.stateDir, controlPlanes: 1, workers: 0 });
  const recorded = readClusterState(plan.clusterDir);
  if (recorded) return { state: recorded, recorded: true };
  const { kubernetesVersion: _, ...rest } = plan;
  // No node is known by name: the namespaces are found by pattern, keepers by their command line.
  return { state: { version: 1, ...rest, nodes: [], createdAt: "" }, recorded: false };
}

/**
 * Removes everything a cluster made, in the order that lets each step succeed: SIGTERM each keeper
 * (checked to be that node's keeper through /proc/PID/cmdline first, as PIDs are reused), which
 * stops its node; after 45 s SIGKILL the keeper and the node's PID 1; then kill whatever still runs
 * in the cluster's namespaces or cgroups; unmount what is mounted under the cluster dir; detach its
 * loop devices; delete namespaces, veths and bridge; remove cgroups, the client config context and
 * the cluster dir (unless keepState). Works on a half-created or already-dead cluster, and twice.
 * Ends with findLeftovers and throws, listing them, if anything remains.
 */
export async function destroyCluster(
  state: ClusterState,
  options: DestroyClusterOptions = {},
): Promise<void> {
  const progress = options.progress ?? (() => {});
  const run = options.run ?? runCommand;

  const keepers = findKeepers(state);
  if (keepers.length > 0) {
    progress(`stopping ${keepers.length} node${keepers.length === 1 ? "" : "s"} (SIGTERM to their keepers)…`);
    for (const pid of keepers) signal(pid, "SIGTERM");
    const stubborn = await waitForExit(keepers, options.stopTimeoutMs ?? KEEPER_STOP_TIMEOUT_MS);
    if (stubborn.length > 0) {
      progress(
        `${stubborn.length} keeper${stubborn.length === 1 ? "" : "s"} did not stop in time: killing them and their nodes`,
      );
      for (const pid of stubborn) signal(pid, "SIGKILL");
      for (const node of state.nodes) {
        const nodePid = readPidFile(join(node.nodeDir, "node.pid"));
        if (nodePid !== undefined && processesInNetns(`/run/netns/${node.netns}`).includes(nodePid)) {
          signal(nodePid, "SIGKILL");
        }
      }
    }
  }
  await killStragglers(state, { run, progress });

  for (const point of mountsUnder(state.clusterDir)) {
    progress(`unmounting ${point}`);
    await run("umount", ["--lazy", point]).catch(() => undefined);
  }
  await detachLoopDevices(state.clusterDir, { run, progress });

  progress("removing the network: namespaces, veths, bridge");
  await destroyClusterNetwork(state, { run });

  progress("removing cgroups");
  await removeCgroups(state, options.removeNodeCgroup ?? removeSandboxCgroup);

  removeRecordedContext(state, { clientConfigPath: options.clientConfigPath, progress, showCurrent: true });

  if (!options.keepState && existsSync(state.clusterDir)) {
    // Never delete through a mount point: what is mounted there is not the cluster's to delete.
    if (mountsUnder(state.clusterDir).length === 0) {
      progress(`removing ${state.clusterDir}`);
      rmSync(state.clusterDir, { recursive: true, force: true });
    }
  }

  const leftovers = await findLeftovers(state, { keepState: options.keepState ?? false, run });
  if (leftovers.length > 0) throw leftoversError(state.name, leftovers);
}

/** PIDs of the cluster's keepers that run now, each checked through its command line. */
function findKeepers(state: ClusterState): number[] {
  const pids = new Set<number>();
  for (const node of state.nodes) {
    for (const pid of [node.keeperPid, readPidFile(join(node.nodeDir, "keeper.pid"))]) {
      if (pid !== undefined && isKeeperOf(pid, state.clusterDir)) pids.add(pid);
    }
  }
  // Keepers cluster.json does not know of (it was not written, or is from another attempt).
  for (const { pid } of processesNaming(state.clusterDir)) {
    if (isKeeperOf(pid, state.clusterDir)) pids.add(pid);
  }
  return [...pids];
}

/**
 * Kills what still runs after the keepers are gone: processes in the cluster's network namespaces
 * or cgroups (a node's PID 1 whose keeper was killed, a containerd shim) and processes naming the
 * cluster dir. All of them are the cluster's: nothing else enters its namespaces or cgroups.
 */
async function killStragglers(
  state: ClusterState,
  options: { run: typeof runCommand; progress: Progress },
): Promise<void> {
  const pids = new Set<number>();
  for (const netns of await listClusterNetns(state, { run: options.run })) {
    for (const pid of processesInNetns(`/run/netns/${netns}`)) pids.add(pid);
  }
  for (const dir of existingCgroupDirs(join("stele", state.name), cgroupMountPoints())) {
    for (const pid of cgroupTreePids(dir)) if (isRunning(pid)) pids.add(pid);
  }
  for (const { pid } of processesNaming(state.clusterDir)) pids.add(pid);
  if (pids.size === 0) return;
  options.progress(`killing ${pids.size} remaining process${pids.size === 1 ? "" : "es"} of the cluster`);
  for (const pid of pids) signal(pid, "SIGKILL");
  await waitForExit([...pids], 10_000);
}

/** Detaches the loop devices backed by files in the cluster dir, once they are no longer mounted. */
async function detachLoopDevices(
  clusterDir: string,
  options: { run: typeof runCommand; progress: Progress },
): Promise<void> {
  // A loop device with autoclear goes by itself when its last mount goes, a moment after the node.
  const devices = await waitUntil(
    "loop devices to detach",
    async () => {
      const found = await loopDevicesUnder(clusterDir, { run: options.run });
      return found.length === 0 ? [] : undefined;
    },
    { timeoutMs: 3000, intervalMs: 200 },
  ).catch(() => loopDevicesUnder(clusterDir, { run: options.run }));
  for (const entry of devices) {
    const device = entry.split(" ")[0]!;
    options.progress(`detaching loop device ${entry}`);
    await options.run("losetup", ["-d", device]).catch(() => undefined);
  }
}

/** Removes each node's cgroup through the sandbox, then whatever remains under `/stele/<cluster>`. */
async function removeCgroups(
  state: ClusterState,
  removeNodeCgroup: (cgroupPath: string) => Promise<void>,
): Promise<void> {
  for (const node of state.nodes) {
    // The sweep below removes what this could not; a node that never started has no cgroup at all.
    await removeNodeCgroup(node.cgroup).catch(() => undefined);
  }
  const cgroup = join("/stele", state.name);
  await waitUntil(
    `the cgroups of ${cgroup} to be removed`,
    async () => {
      const failures = existingCgroupDirs(cgroup).flatMap((dir) => removeCgroupTree(dir));
      if (failures.length === 0) return true;
      throw new Error(failures.map((f) => `${f.dir}: ${f.reason}`).join(", "));
    },
    { timeoutMs: 5000, intervalMs: 200 },
  ).catch(() => undefined); // findLeftovers reports what stayed
  // The `/stele` parent is shared by every cluster: removed once the last one is gone (rmdir fails
  // while another cluster's cgroups are in it, which is what should happen then).
  for (const dir of existingCgroupDirs("/stele")) {
    try {
      rmdirSync(dir);
    } catch {
      // another cluster still runs
    }
  }
}
