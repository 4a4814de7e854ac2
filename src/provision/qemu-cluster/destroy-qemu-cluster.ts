import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { leftoversError } from "../cluster-flow/leftovers-error.ts";
import { removeRecordedContext } from "../cluster-flow/remove-recorded-context.ts";
import { mountsUnder } from "../container/find-leftovers.ts";
import {
  isRunning,
  processesInNetns,
  processesNaming,
  readPidFile,
  signal,
  waitForExit,
} from "../container/host-processes.ts";
import type { Progress } from "../container/progress-reporter.ts";
import { runCommand } from "../container/run-command.ts";
import { findQemuLeftovers } from "./find-qemu-leftovers.ts";
import { planQemuCluster } from "./qemu-cluster-plan.ts";
import {
  initialQemuClusterState,
  type QemuClusterState,
  readQemuClusterState,
} from "./qemu-cluster-state.ts";
import { destroyQemuNetwork } from "./qemu-network.ts";

/** How long QEMU, swtpm and the DHCP server get after SIGTERM before SIGKILL. */
export const QEMU_STOP_TIMEOUT_MS = 5_000;

/** Options of destroyQemuCluster. */
export interface DestroyQemuClusterOptions {
  /** Keep the cluster dir (`--keep-state`): configs, secrets, console logs, disks. */
  keepState?: boolean;
  /** The client config to clean when the state file does not say where create merged the context. */
  clientConfigPath?: string;
  progress?: Progress;
  run?: typeof runCommand;
}

/**
 * The state to destroy for a cluster name when it is a QEMU cluster: its qemu-cluster.json, or
 * undefined when the dir holds none (then it is not a QEMU cluster, or nothing of it was written).
 */
export function qemuClusterToDestroy(options: {
  name: string;
  stateDir?: string | undefined;
}): QemuClusterState | undefined {
  const plan = planQemuCluster({
    name: options.name,
    stateDir: options.stateDir,
    controlPlanes: 1,
    workers: 0,
  });
  return readQemuClusterState(plan.clusterDir);
}

/** What the name alone finds of a QEMU cluster (its namespace, host link and dir are named after it). */
export function qemuClusterByName(options: {
  name: string;
  stateDir?: string | undefined;
}): QemuClusterState {
  const plan = planQemuCluster({
    name: options.name,
    stateDir: options.stateDir,
    controlPlanes: 1,
    workers: 0,
  });
  return { ...initialQemuClusterState(plan), nodes: [] };
}

/**
 * Removes everything a QEMU cluster made: SIGTERM to QEMU, swtpm and the DHCP server (recorded
 * PIDs and pid files, each checked to name the cluster dir, since PIDs are reused; plus whatever
 * else names the dir or runs in the cluster's namespace), SIGKILL after 5 s — the VMs' disks are
 * the cluster's own copies, nothing is lost; then the host link and the namespace (with its bridge
 * and taps), the client config context, and the cluster dir unless keepState. Works on a
 * half-created or dead cluster, and twice. Ends with findQemuLeftovers and throws if anything
 * remains.
 */
export async function destroyQemuCluster(
  state: QemuClusterState,
  options: DestroyQemuClusterOptions = {},
): Promise<void> {
  const progress = options.progress ?? (() => {});
  const run = options.run ?? runCommand;
  const pids = clusterProcesses(state);
  if (pids.length > 0) {
    progress(`stopping ${pids.length} process${pids.length === 1 ? "" : "es"} (QEMU, swtpm, DHCP server)…`);
    for (const pid of pids) signal(pid, "SIGTERM");
    const stubborn = await waitForExit(pids, QEMU_STOP_TIMEOUT_MS);
    for (const pid of stubborn) signal(pid, "SIGKILL");
    await waitForExit(stubborn, 10_000);
  }
  // Started between the two looks (a create still running), or outside every record.
  const late = clusterProcesses(state);
  for (const pid of late) signal(pid, "SIGKILL");
  await waitForExit(late, 10_000);

  progress(`removing the network: ${state.hostLink}, namespace ${state.netns} (bridge, taps)`);
  await destroyQemuNetwork(state, { run });

  removeRecordedContext(state, { clientConfigPath: options.clientConfigPath, progress, showCurrent: false });
  // Never delete through a mount point (what is mounted there is not the cluster's to delete): the
  // leftovers check then names the directory.
  if (!options.keepState && existsSync(state.clusterDir) && mountsUnder(state.clusterDir).length === 0) {
    progress(`removing ${state.clusterDir}`);
    rmSync(state.clusterDir, { recursive: true, force: true });
  }
  const leftovers = await findQemuLeftovers(state, { keepState: options.keepState ?? false, run });
  if (leftovers.length > 0) throw leftoversError(state.name, leftovers);
}

/** PIDs of the cluster's QEMU, swtpm and DHCP server, and of anything else in its namespace or naming its dir. */
function clusterProcesses(state: QemuClusterState): number[] {
  const pids = new Set<number>();
  const namesDir = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${state.clusterDir}/`);
    } catch {
      return false;
    }
  };
  const recorded = [
    state.dhcpServerPid,
    readPidFile(join(state.clusterDir, "dhcp-server.pid")),
    ...state.nodes.flatMap((node) => [
      node.qemuPid,
      node.swtpmPid,
      readPidFile(join(node.nodeDir, "qemu.pid")),
      readPidFile(join(node.nodeDir, "swtpm.pid")),
    ]),
  ];
  for (const pid of recorded) if (pid !== undefined && isRunning(pid) && namesDir(pid)) pids.add(pid);
  for (const { pid } of processesNaming(state.clusterDir)) pids.add(pid);
  for (const pid of processesInNetns(`/run/netns/${state.netns}`)) pids.add(pid);
  return [...pids];
}
