import type { StatsSample } from "./dashboard-source.ts";

/** What the Monitor screen plots at one moment: rates between two samples, levels of the later one. */
export interface StatsPoint {
  timeMs: number;
  /** Share of CPU time spent working between the two samples, 0–100. */
  cpuPercent: number;
  memUsed: number;
  memTotal: number;
  load1: number;
  load5: number;
  load15: number;
  /** Bytes per second. */
  rxRate: number;
  txRate: number;
  readRate: number;
  writeRate: number;
  processCount: number;
}

/**
 * Differences two samples of a node: CPU % from the jiffies spent working over all jiffies, rates
 * as bytes per second over the time between the samples. A counter that went down (the node
 * rebooted, an interface vanished) gives a rate of 0 rather than a negative one.
 */
export function statsPoint(previous: StatsSample, current: StatsSample): StatsPoint {
  const seconds = (current.timeMs - previous.timeMs) / 1000;
  const rate = (before: number, after: number) =>
    seconds > 0 && after >= before ? (after - before) / seconds : 0;
  const busy = current.cpuBusy - previous.cpuBusy;
  const total = current.cpuTotal - previous.cpuTotal;
  return {
    timeMs: current.timeMs,
    cpuPercent: total > 0 && busy >= 0 ? Math.min(100, (busy / total) * 100) : 0,
    memUsed: Math.max(0, current.memTotal - current.memAvailable),
    memTotal: current.memTotal,
    load1: current.load1,
    load5: current.load5,
    load15: current.load15,
    rxRate: rate(previous.rxBytes, current.rxBytes),
    txRate: rate(previous.txBytes, current.txBytes),
    readRate: rate(previous.readBytes, current.readBytes),
    writeRate: rate(previous.writeBytes, current.writeBytes),
    processCount: current.processCount,
  };
}
