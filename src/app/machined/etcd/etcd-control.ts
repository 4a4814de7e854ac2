/**
 * What the machine API asks of the node's etcd: the one seam between the RPC handlers
 * (`Bootstrap`, `Etcd*`) and the code that runs etcd, so each side is tested without the other.
 * Every method throws a SteleError with a code the API maps to a gRPC status (`failed-precondition`
 * for "not a control plane" or "already bootstrapped", `unavailable` when etcd does not answer).
 */
export interface EtcdControl {
  /**
   * Starts a new etcd cluster with this node as its only member. Refused on a worker, when this
   * node's etcd already has data, and when another control plane already runs etcd. With
   * `recoverFrom`, the data is restored from a snapshot uploaded before with {@link uploadSnapshot}.
   */
  bootstrap(options: { recover: boolean; skipHashCheck: boolean }): Promise<void>;
  /** Stores a snapshot to bootstrap from (`stelectl bootstrap --recover-from`); chunks as they arrive. */
  uploadSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** The cluster's members, sorted by id; `local` answers from this member without a quorum read. */
  members(options: { local: boolean }): Promise<EtcdMemberInfo[]>;
  /** This member's status. */
  status(): Promise<EtcdMemberStatusInfo>;
  /** A consistent snapshot of the database, streamed. */
  snapshot(): AsyncIterable<Uint8Array>;
  /** Whether this node's etcd holds data (is or was a member); absent where that is never so. */
  hasData?(): boolean;
  /** Removes this node from the cluster, stops its etcd and wipes its data. */
  leave(): Promise<void>;
  /** Removes another member by id (a dead node's). */
  removeMember(id: bigint): Promise<void>;
  /** Hands leadership to another member if this one leads; returns the new leader's name ("" if not leader). */
  forfeitLeadership(): Promise<string>;
  /** Defragments this member's database. */
  defragment(): Promise<void>;
  /** The active alarms of the cluster. */
  alarms(): Promise<EtcdAlarmInfo[]>;
  /** Disarms every active alarm; returns those it disarmed. */
  disarmAlarms(): Promise<EtcdAlarmInfo[]>;
}

/** One member of the etcd cluster. */
export interface EtcdMemberInfo {
  readonly id: bigint;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** One member's status, as etcd's Maintenance.Status reports it. */
export interface EtcdMemberStatusInfo {
  readonly memberId: bigint;
  readonly version: string;
  readonly dbSize: number;
  readonly dbSizeInUse: number;
  readonly leader: bigint;
  readonly raftIndex: bigint;
  readonly raftTerm: bigint;
  readonly raftAppliedIndex: bigint;
  readonly errors: readonly string[];
  readonly isLearner: boolean;
}

/** An active etcd alarm: which member raised it and what it is (`NOSPACE`, `CORRUPT`). */
export interface EtcdAlarmInfo {
  readonly memberId: bigint;
  readonly alarm: string;
}
