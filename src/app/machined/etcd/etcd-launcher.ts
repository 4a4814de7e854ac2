import type { LogSink, Runner } from "../system/runner.ts";

/** What etcd runs with: decided before each start. */
export interface EtcdRunSpec {
  /** `cluster.etcd.image`. */
  readonly image: string;
  /** etcd's flags (see `etcdArgs`). */
  readonly args: readonly string[];
}

/** What a snapshot restore needs: the new single-member cluster it makes of the snapshot. */
export interface EtcdRestoreSpec {
  readonly image: string;
  readonly name: string;
  /** `name=peerURL`. */
  readonly initialCluster: string;
  readonly peerUrl: string;
  /** Restore a database file copied from a data directory, which has no hash appended. */
  readonly skipHashCheck: boolean;
}

/**
 * How etcd is started: the one part that differs between a node, where etcd is a container of the
 * etcd image in the system containerd, and the tests, where it is a plain process of the host's
 * etcd. Everything else (certificates, the start decision, flags, the client) is the same code.
 */
export interface EtcdLauncher {
  /** Why etcd cannot run on this machine (no containerd: not PID 1), or undefined. */
  unavailable(): string | undefined;
  /** Services etcd waits for (`containerd`). */
  readonly dependsOn: readonly string[];
  /** etcd's data directory as etcd sees it (its flags name it). */
  readonly dataDir: string;
  /** The certificates' directory as etcd sees it. */
  readonly pkiDir: string;
  /** The etcd service's runner; `spec` is asked before every run. */
  runner(spec: () => EtcdRunSpec): Runner;
  /**
   * Restores the uploaded snapshot (`<recover dir>/snapshot.db`) into a new data directory
   * `<recover dir>/restored`, which does not exist yet, to completion.
   */
  restore(spec: EtcdRestoreSpec, context: { log: LogSink; signal: AbortSignal }): Promise<void>;
}
