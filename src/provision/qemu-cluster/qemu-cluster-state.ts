import { join } from "node:path";
import { z } from "zod";
import {
  readClusterStateFile,
  stateFromPlan,
  writeClusterStateFile,
} from "../cluster-flow/cluster-state-file.ts";
import type { ClusterPlan } from "../container/cluster-plan.ts";
import { type ClusterState, initialClusterState } from "../container/cluster-state.ts";
import type { QemuClusterPlan } from "./qemu-cluster-plan.ts";

/**
 * The file in a cluster dir that records what `create --provisioner qemu` made. Its own name, not
 * cluster.json: show and destroy tell the provisioners apart by which file is there.
 */
export const QEMU_CLUSTER_STATE_FILE = "qemu-cluster.json";

const nodeSchema = z.strictObject({
  name: z.string(),
  role: z.enum(["controlplane", "worker"]),
  address: z.string(),
  mac: z.string(),
  tap: z.string(),
  nodeDir: z.string(),
  qemuPid: z.int().positive().optional(),
  swtpmPid: z.int().positive().optional(),
});

const stateSchema = z.strictObject({
  version: z.literal(1),
  provisioner: z.literal("qemu"),
  name: z.string(),
  clusterDir: z.string(),
  cidr: z.string(),
  prefixLength: z.int(),
  netmask: z.string(),
  netns: z.string(),
  bridge: z.string(),
  dhcpServerAddress: z.string(),
  hostLink: z.string(),
  gateway: z.string(),
  linkPrefix: z.string(),
  nodes: z.array(nodeSchema),
  endpoint: z.string(),
  kubernetesVersion: z.string().optional(),
  boot: z.enum(["uefi", "direct"]),
  memoryMiB: z.int(),
  diskGiB: z.int(),
  withTpm: z.boolean(),
  createdAt: z.string(),
  /** The accelerator QEMU runs with and why (detected, not assumed). */
  accelerator: z.strictObject({ accelerator: z.enum(["kvm", "tcg"]), reason: z.string() }).optional(),
  dhcpServerPid: z.int().positive().optional(),
  clientConfig: z.strictObject({ path: z.string(), context: z.string() }).optional(),
});

/** What qemu-cluster.json holds: the plan, the PIDs of what runs, the accelerator and the context. */
export type QemuClusterState = z.infer<typeof stateSchema>;

/** The state of a QEMU cluster about to be created. */
export function initialQemuClusterState(plan: QemuClusterPlan, now = new Date()): QemuClusterState {
  return stateFromPlan(plan, now);
}

/** Writes qemu-cluster.json atomically (0600): destroy can always read what was made. */
export function writeQemuClusterState(state: QemuClusterState): void {
  writeClusterStateFile(join(state.clusterDir, QEMU_CLUSTER_STATE_FILE), state);
}

/** Reads a cluster dir's qemu-cluster.json; undefined when there is none (not a QEMU cluster). */
export function readQemuClusterState(clusterDir: string): QemuClusterState | undefined {
  return readClusterStateFile(join(clusterDir, QEMU_CLUSTER_STATE_FILE), stateSchema);
}

/** The parts of a QEMU plan or state the container provisioner's code reads. */
export type QemuClusterShape = Pick<
  QemuClusterState,
  | "name"
  | "clusterDir"
  | "cidr"
  | "prefixLength"
  | "hostLink"
  | "gateway"
  | "linkPrefix"
  | "netns"
  | "endpoint"
  | "nodes"
> & { kubernetesVersion?: string | undefined };

/**
 * The QEMU cluster seen as the container provisioner's plan: the shared code (configs, network
 * conflicts, leftovers, health wait, summary) reads the nodes' names, roles and addresses, the
 * link prefix, and, here, the host link as the "bridge" holding the gateway address and the
 * cluster's namespace as every node's.
 */
export function asContainerPlan(plan: QemuClusterShape): ClusterPlan {
  return {
    name: plan.name,
    clusterDir: plan.clusterDir,
    cidr: plan.cidr,
    prefixLength: plan.prefixLength,
    bridge: { name: plan.hostLink, address: plan.gateway },
    linkPrefix: plan.linkPrefix,
    nodes: plan.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      address: node.address,
      netns: plan.netns,
      hostVeth: plan.hostLink,
      cgroup: `/stele/${plan.name}/${node.name}`,
      nodeDir: node.nodeDir,
      maintenance: true,
    })),
    endpoint: plan.endpoint,
    kubernetesVersion: plan.kubernetesVersion,
  };
}

/** asContainerPlan as a container ClusterState (what the health wait and the summary take). */
export function asContainerState(state: QemuClusterState): ClusterState {
  const containerState = initialClusterState(asContainerPlan(state), new Date(state.createdAt));
  return state.clientConfig ? { ...containerState, clientConfig: state.clientConfig } : containerState;
}
