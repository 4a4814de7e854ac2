/**
 * What the health checks ask of a cluster, one question per method and node: the seam between the
 * checks and the API, so the checks' judgement is tested against answers a test chooses. Each method
 * throws a SteleError describing why the node did not answer.
 */
export interface HealthSource {
  /** The Member resources a node knows (the endpoint itself when `node` is undefined). */
  members(node?: string): Promise<MemberEntry[]>;
  /** The hostname a node tags its replies with; answering at all proves its apid is up. */
  hostname(node: string): Promise<string>;
  /** The node's MachineStatus. */
  machineStatus(node: string): Promise<MachineStatusEntry>;
  /** The status of the node's etcd member. */
  etcdStatus(node: string): Promise<{ memberId: bigint; errors: readonly string[] }>;
  /** The etcd members as the node sees them. */
  etcdMembers(node: string): Promise<EtcdMemberEntry[]>;
  /** The node's clock, read once, with when the question left and the answer came back here. */
  clock(node: string): Promise<ClockReading>;
  close(): void;
}

/** A Member resource: a node of the cluster as another node knows it. */
export interface MemberEntry {
  readonly hostname: string;
  readonly machineType: string;
  /** `address/prefix`, non-loopback first. */
  readonly addresses: readonly string[];
}

/** A node's stage and readiness, with what keeps it from being ready. */
export interface MachineStatusEntry {
  readonly stage: string;
  readonly ready: boolean;
  readonly unmetConditions: readonly { name: string; reason: string }[];
}

/** One etcd member as a node reports it. */
export interface EtcdMemberEntry {
  readonly id: bigint;
  readonly name: string;
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** A node's clock and the round trip it was read in, all in milliseconds since the epoch. */
export interface ClockReading {
  readonly sentAt: number;
  readonly nodeTime: number;
  readonly receivedAt: number;
  /** What the node's TimeStatus says of its own clock, when it has one. */
  readonly synced?: { synced: boolean; message: string };
}
