import { readFileSync } from "node:fs";
import { isRunning } from "../container/host-processes.ts";
import type { QemuClusterState } from "./qemu-cluster-state.ts";

/** One VM of `cluster show`. */
export interface QemuNodeStatus {
  name: string;
  role: string;
  address: string;
  mac: string;
  qemuPid: number | undefined;
  /** Whether its QEMU runs (checked through its command line, since PIDs are reused). */
  running: boolean;
}

/** The VMs of a QEMU cluster and whether each runs. */
export function qemuClusterStatus(state: QemuClusterState): QemuNodeStatus[] {
  return state.nodes.map((node) => {
    const running =
      node.qemuPid !== undefined && isRunning(node.qemuPid) && names(node.qemuPid, node.nodeDir);
    return {
      name: node.name,
      role: node.role,
      address: node.address,
      mac: node.mac,
      qemuPid: node.qemuPid,
      running,
    };
  });
}

function names(pid: number, text: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
  } catch {
    return false;
  }
}
