/**
 * The container platform's provisioner: local clusters whose nodes are sandboxes of namespaces on
 * this machine (`stelectl cluster create|show|destroy`).
 */

export { type ClusterCreateOptions, DEFAULT_WAIT_TIMEOUT_MS } from "../cluster-flow/bring-up-cluster.ts";
export { waitMachinesReady } from "../cluster-flow/wait-machines-ready.ts";
export type { ClusterConfigs, ClusterPatches } from "./cluster-configs.ts";
export { generateClusterConfigs } from "./cluster-configs.ts";
export {
  type ClusterNetworkPlan,
  createClusterNetwork,
  destroyClusterNetwork,
  findNetworkConflicts,
} from "./cluster-network.ts";
export type {
  ClusterNodeApi,
  ConnectClusterNodes,
  HealthWaitTarget,
  WaitHealthy,
} from "./cluster-node-api.ts";
export {
  type ClusterPlan,
  type ClusterPlanOptions,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_CLUSTER_STATE_DIR,
  type NodeRole,
  type PlannedNode,
  planCluster,
} from "./cluster-plan.ts";
export { type ClusterState, readClusterState } from "./cluster-state.ts";
export { clusterStatus, type NodeStatus } from "./cluster-status.ts";
export {
  type CreateClusterDependencies,
  type CreateClusterOptions,
  type CreatedCluster,
  createCluster,
} from "./create-cluster.ts";
export { clusterToDestroy, type DestroyClusterOptions, destroyCluster } from "./destroy-cluster.ts";
export {
  type FindLeftoversOptions,
  findLeftovers,
  type Leftover,
  type LeftoverTarget,
} from "./find-leftovers.ts";
export { defaultImagesDir } from "./node-image-adapter.ts";
export { type Progress, progressReporter } from "./progress-reporter.ts";
