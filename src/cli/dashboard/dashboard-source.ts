/** What the Summary screen shows of one node, gathered from several unary calls. */
export interface NodeSummary {
  hostname: string;
  /** The release tag the node runs, e.g. `v0.1.0`. */
  tag: string;
  platform: string;
  /** `booting`, `running`…; empty when the node did not say. */
  stage: string;
  ready: boolean;
  unmetConditions: readonly { name: string; reason: string }[];
  addresses: readonly string[];
  members: number;
  /** When the node booted, for its uptime; undefined when the node did not say. */
  bootTime: Date | undefined;
  /**
   * In maintenance mode, the SHA-256 fingerprint of the certificate apid serves (what
   * `apply-config --insecure --cert-fingerprint` pins); undefined otherwise or when unknown.
   */
  apiFingerprint?: string;
}

/**
 * One sample of a node's counters, reduced to plain numbers: running totals (jiffies, bytes) are
 * kept as totals, so rates come from differencing two samples (see `statsPoint`).
 */
export interface StatsSample {
  /** When the node took the sample, in ms since the epoch. */
  timeMs: number;
  /** Jiffies the CPUs spent working (user, nice, system, irq, softirq, steal), all CPUs together. */
  cpuBusy: number;
  /** Every jiffy of all CPUs, busy or idle (idle and iowait added). */
  cpuTotal: number;
  memTotal: number;
  memAvailable: number;
  load1: number;
  load5: number;
  load15: number;
  /** Bytes received and sent by every interface but loopback. */
  rxBytes: number;
  txBytes: number;
  /** Bytes read and written by whole disks (partitions left out, so nothing counts twice). */
  readBytes: number;
  writeBytes: number;
  processCount: number;
}

/** One row of the Services screen. */
export interface ServiceRow {
  id: string;
  /** `running`, `waiting`, `failed`…, lower case. */
  state: string;
  /** `ok`, `fail` or `?` when the service has no health check or it has not run. */
  health: string;
  /** The message of the service's last state change. */
  message: string;
}

/**
 * Where the dashboard gets its data: one implementation talks to nodes over gRPC, tests use a fake.
 * Every long-running method takes an AbortSignal and must end (resolve) when it aborts, so quitting
 * the dashboard cancels every stream.
 */
export interface DashboardSource {
  /** The nodes, in the order the operator named them. */
  readonly nodes: readonly string[];
  summary(node: string, signal: AbortSignal): Promise<NodeSummary>;
  services(node: string, signal: AbortSignal): Promise<ServiceRow[]>;
  /** Streams samples every `intervalMs` until `signal` aborts or the stream fails (rejects). */
  watchStats(
    node: string,
    options: { intervalMs: number; signal: AbortSignal },
    onSample: (sample: StatsSample) => void,
  ): Promise<void>;
  /** Streams the last `tail` lines of a service's log, then new ones, until `signal` aborts. */
  followLogs(
    node: string,
    options: { service: string; tail: number; signal: AbortSignal },
    onLines: (lines: readonly string[]) => void,
  ): Promise<void>;
}
