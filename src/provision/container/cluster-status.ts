import { join } from "node:path";
import type { ClusterState } from "./cluster-state.ts";
import { isKeeperOf, isRunning, readPidFile } from "./host-processes.ts";

/** One node of `cluster show`. */
export interface NodeStatus {
  name: string;
  role: string;
  address: string;
  keeperPid: number | undefined;
  /** Host PID of the node's PID 1, from node.pid (only while it runs). */
  nodePid: number | undefined;
  /** Whether its keeper runs (checked through its command line, since PIDs are reused). */
  running: boolean;
}

/** The nodes of a cluster and whether each runs, read from cluster.json and the node dirs. */
export function clusterStatus(state: ClusterState): NodeStatus[] {
  return state.nodes.map((node) => {
    const keeperPid = node.keeperPid ?? readPidFile(join(node.nodeDir, "keeper.pid"));
    const running = keeperPid !== undefined && isKeeperOf(keeperPid, state.clusterDir);
    const nodePid = readPidFile(join(node.nodeDir, "node.pid"));
    return {
      name: node.name,
      role: node.role,
      address: node.address,
      keeperPid,
      nodePid: running && nodePid !== undefined && isRunning(nodePid) ? nodePid : undefined,
      running,
    };
  });
}
