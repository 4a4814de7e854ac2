import type { ClientContext } from "../../machinery/client/index.ts";
import type { ClusterState } from "./cluster-state.ts";
import type { Progress } from "./progress-reporter.ts";

/**
 * The calls `cluster create` makes to its nodes' apid. An interface, because the client code that
 * makes them (mTLS and pinned credentials, reply checking) is the CLI's, which this library may not
 * import: `stelectl cluster` passes an implementation built on it; tests pass a fake.
 */
export interface ClusterNodeApi {
  /**
   * Applies a machine config to a node in maintenance mode, as `stelectl apply-config --insecure
   * --cert-fingerprint FP` does: nothing is sent unless the node presents that certificate.
   */
  applyConfigInsecure(address: string, options: { fingerprint: string; config: Uint8Array }): Promise<void>;
  /** Resolves with the node's version tag once its apid answers Version over mutual TLS. */
  version(address: string): Promise<string>;
  /** Calls Bootstrap on a control plane: it starts a new etcd cluster. */
  bootstrap(address: string): Promise<void>;
  /** The node's MachineStatus: its stage, whether it is ready, and what it still waits for. */
  machineStatus(address: string): Promise<{ stage: string; ready: boolean; unmet: string[] }>;
  /** Ends every connection. */
  close(): void;
}

/** Makes the node API of a cluster from its admin context. */
export type ConnectClusterNodes = (context: ClientContext) => ClusterNodeApi;

/** What a health wait gets: the cluster, its admin credentials, and a way to talk to its nodes. */
export interface HealthWaitTarget {
  state: ClusterState;
  /** The cluster's admin context (endpoints = the control planes, nodes = the first one). */
  context: ClientContext;
  nodes: ClusterNodeApi;
  signal: AbortSignal;
  progress: Progress;
  timeoutMs: number;
}

/**
 * The last step of `cluster create`: resolves when the cluster is healthy, throws (naming what is
 * not) when it does not become so in time. The CLI passes `stelectl health`'s check here.
 */
export type WaitHealthy = (target: HealthWaitTarget) => Promise<void>;
