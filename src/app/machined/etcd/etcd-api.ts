import type { EtcdAlarmInfo, EtcdMemberInfo, EtcdMemberStatusInfo } from "./etcd-control.ts";

/**
 * The etcd operations machined uses, on one connection to one or more members: the seam between
 * machined's logic (starting, joining, leaving, the API) and the gRPC client, so the logic is tested
 * against a fake and the client once against a real etcd. Every method throws a SteleError.
 */
export interface EtcdApi {
  /** The client URLs this connection dials. */
  readonly endpoints: readonly string[];
  /** The members, sorted by id; `linearizable: false` answers from the member without a quorum read. */
  memberList(options?: { linearizable?: boolean }): Promise<EtcdMemberInfo[]>;
  /**
   * Adds a member that will start with `peerUrls` (a non-voting learner with `learner`); returns it
   * (unnamed until it starts) and all members.
   */
  memberAdd(
    peerUrls: readonly string[],
    options?: { learner?: boolean },
  ): Promise<{ member: EtcdMemberInfo; members: EtcdMemberInfo[] }>;
  /** Makes a learner a voting member; etcd refuses until the learner has caught up with the leader. */
  memberPromote(id: bigint): Promise<void>;
  memberRemove(id: bigint): Promise<void>;
  /** The status of the member this connection dials (the first endpoint). */
  status(): Promise<EtcdMemberStatusInfo>;
  /** A consistent snapshot of the database, streamed. */
  snapshot(): AsyncIterable<Uint8Array>;
  /** Asks the leader (which this connection must dial) to hand leadership to `id`. */
  moveLeader(id: bigint): Promise<void>;
  defragment(): Promise<void>;
  alarms(): Promise<EtcdAlarmInfo[]>;
  disarm(alarm: EtcdAlarmInfo): Promise<void>;
  close(): void;
}

/** Opens an {@link EtcdApi} to the given client URLs. */
export type ConnectEtcd = (endpoints: readonly string[]) => EtcdApi;
