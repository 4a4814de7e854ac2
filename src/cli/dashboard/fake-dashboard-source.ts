import type { DashboardSource, NodeSummary, ServiceRow, StatsSample } from "./dashboard-source.ts";

/**
 * A DashboardSource for tests: fixed summaries and services per node, a few stats samples, and
 * logs the test feeds with `emitLog`. It records every stream the dashboard opened and closed, so
 * tests can check that quitting cancels them all.
 */
export class FakeDashboardSource implements DashboardSource {
  readonly nodes: readonly string[];
  /** Streams opened, as `stats:<node>` or `logs:<node>/<service>`. */
  readonly opened: string[] = [];
  /** Streams whose signal aborted, same names as `opened`. */
  readonly closed: string[] = [];
  /** Nodes whose every call fails, to show one node's error. */
  readonly failing = new Set<string>();
  readonly #logSinks = new Map<string, (lines: readonly string[]) => void>();

  constructor(nodes: readonly string[]) {
    this.nodes = nodes;
  }

  async summary(node: string): Promise<NodeSummary> {
    if (this.failing.has(node)) throw new Error(`Node ${node} is unreachable`);
    return {
      hostname: `host-${node}`,
      tag: "v0.1.0",
      platform: "qemu",
      stage: "running",
      ready: false,
      unmetConditions: [{ name: "services", reason: "kubelet is starting" }],
      addresses: ["10.5.0.2/24"],
      members: 1,
      bootTime: new Date(Date.now() - 3_630_000),
    };
  }

  async services(node: string): Promise<ServiceRow[]> {
    if (this.failing.has(node)) throw new Error(`Node ${node} is unreachable`);
    return [
      { id: "apid", state: "running", health: "ok", message: "Health check successful" },
      { id: "etcd", state: "running", health: "ok", message: "Health check successful" },
    ];
  }

  watchStats(
    node: string,
    options: { intervalMs: number; signal: AbortSignal },
    onSample: (sample: StatsSample) => void,
  ): Promise<void> {
    if (this.failing.has(node)) return Promise.reject(new Error(`Node ${node} is unreachable`));
    for (let i = 0; i < 4; i += 1) onSample(fakeSample(i));
    return this.#open(`stats:${node}`, options.signal);
  }

  followLogs(
    node: string,
    options: { service: string; tail: number; signal: AbortSignal },
    onLines: (lines: readonly string[]) => void,
  ): Promise<void> {
    const name = `logs:${node}/${options.service}`;
    this.#logSinks.set(name, onLines);
    onLines([`${options.service} started`]);
    return this.#open(name, options.signal);
  }

  /** Sends log lines on the open stream `logs:<node>/<service>`. */
  emitLog(stream: string, lines: readonly string[]): void {
    this.#logSinks.get(stream)?.(lines);
  }

  #open(name: string, signal: AbortSignal): Promise<void> {
    this.opened.push(name);
    return new Promise((resolve) => {
      const close = () => {
        this.closed.push(name);
        resolve();
      };
      if (signal.aborted) close();
      else signal.addEventListener("abort", close, { once: true });
    });
  }
}

/** The i-th sample of a node that grows busier each second: CPU from 0 % up, 1 KiB/s more traffic each time. */
export function fakeSample(i: number): StatsSample {
  return {
    timeMs: 1_000_000 + i * 1000,
    cpuBusy: 10 * i * i,
    cpuTotal: 100 * i,
    memTotal: 4 * 1024 ** 3,
    memAvailable: 3 * 1024 ** 3,
    load1: 0.5,
    load5: 0.4,
    load15: 0.3,
    rxBytes: 1024 * i * i,
    txBytes: 512 * i,
    readBytes: 4096 * i,
    writeBytes: 0,
    processCount: 42,
  };
}
