import { join } from "node:path";
import { z } from "zod";
import {
  readClusterStateFile,
  stateFromPlan,
  writeClusterStateFile,
} from "../cluster-flow/cluster-state-file.ts";
import type { ClusterPlan } from "./cluster-plan.ts";

/** The file in a cluster dir that records what create made: the source of truth of show and destroy. */
export const CLUSTER_STATE_FILE = "cluster.json";

const nodeSchema = z.strictObject({
  name: z.string(),
  role: z.enum(["controlplane", "worker"]),
  address: z.string(),
  netns: z.string(),
  hostVeth: z.string(),
  cgroup: z.string(),
  nodeDir: z.string(),
  maintenance: z.boolean(),
  /** The keeper's PID once it was started. */
  keeperPid: z.int().positive().optional(),
});

const stateSchema = z.strictObject({
  version: z.literal(1),
  name: z.string(),
  clusterDir: z.string(),
  cidr: z.string(),
  prefixLength: z.int(),
  bridge: z.strictObject({ name: z.string(), address: z.string() }),
  linkPrefix: z.string(),
  nodes: z.array(nodeSchema),
  endpoint: z.string(),
  kubernetesVersion: z.string().optional(),
  createdAt: z.string(),
  /** Where create merged the cluster's context, so destroy removes it from that file. */
  clientConfig: z.strictObject({ path: z.string(), context: z.string() }).optional(),
});

/** What cluster.json holds: the plan, when it was made, the keepers' PIDs and the merged context. */
export type ClusterState = z.infer<typeof stateSchema>;

/** One node as cluster.json records it. */
export type ClusterStateNode = ClusterState["nodes"][number];

/** The state of a cluster about to be created: its plan, no keeper started, no context merged. */
export function initialClusterState(plan: ClusterPlan, now = new Date()): ClusterState {
  return stateFromPlan(plan, now);
}

/**
 * Writes cluster.json atomically (mode 0600), so a crash mid-write leaves the previous state and
 * destroy can always read what was made.
 */
export function writeClusterState(state: ClusterState): void {
  writeClusterStateFile(join(state.clusterDir, CLUSTER_STATE_FILE), state);
}

/** Reads a cluster dir's cluster.json; undefined when there is none. */
export function readClusterState(clusterDir: string): ClusterState | undefined {
  return readClusterStateFile(join(clusterDir, CLUSTER_STATE_FILE), stateSchema);
}
