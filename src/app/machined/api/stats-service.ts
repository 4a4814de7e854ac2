import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Duration } from "../../../machinery/api/google/protobuf/duration.ts";
import type {
  StatsServiceServer,
  WatchStatsResponse,
} from "../../../machinery/api/machine/v1alpha1/stats.ts";
import { SteleError } from "../../../machinery/errors.ts";
import type { Machined } from "../machined.ts";
import { serverStream, unary } from "./call-handlers.ts";
import { parseMeminfo } from "./proc-info.ts";
import {
  CLOCK_TICKS_PER_SECOND,
  countProcesses,
  filesystemUsage,
  parseDiskstats,
  parseLoadavg,
  parseMountinfo,
  parseNetDev,
  parseProcStat,
} from "./proc-stats.ts";

/** WatchStats' interval when the request sets none: smooth enough for a graph, cheap enough to leave open. */
export const DEFAULT_WATCH_INTERVAL_MS = 1000;
/** The shortest WatchStats interval: each sample reads six /proc files, and faster graphs show only noise. */
export const MIN_WATCH_INTERVAL_MS = 250;
/** The longest WatchStats interval: beyond it a client is better served by polling the unary RPCs. */
export const MAX_WATCH_INTERVAL_MS = 60_000;

/**
 * The StatsService handlers: the node's CPU, load, memory, disk, network and mount statistics, read
 * from the real /proc on every call, and WatchStats' stream of samples. The node keeps no history: the
 * kernel's counters are running totals, which clients difference themselves.
 */
export function statsServiceHandlers(machined: Machined): StatsServiceServer {
  const log = machined.logger;
  const metadata = () => ({ hostname: machined.hostname() });
  const processScope = () => (machined.platform.mode === "container" ? { rootPid: process.pid } : {});
  return {
    cpuStats: unary(log, "CPUStats", () => {
      const stat = parseProcStat(readProc("stat"));
      return {
        messages: [{ metadata: metadata(), ...stat, clockTicksPerSecond: CLOCK_TICKS_PER_SECOND }],
      };
    }),
    loadAvg: unary(log, "LoadAvg", () => ({
      messages: [{ metadata: metadata(), load: parseLoadavg(readProc("loadavg")) }],
    })),
    memoryStats: unary(log, "MemoryStats", () => ({
      messages: [{ metadata: metadata(), meminfo: parseMeminfo(readProc("meminfo")) }],
    })),
    diskStats: unary(log, "DiskStats", () => ({
      messages: [
        {
          metadata: metadata(),
          devices: parseDiskstats(readProc("diskstats")),
          filesystems: [
            filesystemUsage("/", "/"),
            filesystemUsage("/var", machined.platform.paths.ephemeral),
          ],
        },
      ],
    })),
    networkStats: unary(log, "NetworkStats", () => ({
      messages: [{ metadata: metadata(), interfaces: parseNetDev(readProc("net/dev")) }],
    })),
    mounts: unary(log, "Mounts", () => ({
      messages: [{ metadata: metadata(), mounts: parseMountinfo(readProc("self/mountinfo")) }],
    })),
    watchStats: serverStream(log, "WatchStats", async (request, sink) => {
      const intervalMs = watchIntervalMs(request.interval);
      while (!sink.signal.aborted) {
        const sample: WatchStatsResponse = {
          metadata: metadata(),
          time: new Date(),
          cpu: parseProcStat(readProc("stat")).total,
          clockTicksPerSecond: CLOCK_TICKS_PER_SECOND,
          load: parseLoadavg(readProc("loadavg")),
          memory: parseMeminfo(readProc("meminfo")),
          interfaces: parseNetDev(readProc("net/dev")),
          disks: parseDiskstats(readProc("diskstats")),
          processCount: countProcesses(processScope()),
        };
        await sink.send(sample);
        // The rejection on cancel is the loop's way out, not a failure.
        await sleep(intervalMs, undefined, { signal: sink.signal }).catch(() => undefined);
      }
    }),
  };
}

/**
 * WatchStats' interval in milliseconds: the default when unset or zero, else the request's, which must
 * lie within the bounds rather than be silently changed, so a client's graph axis means what it asked.
 */
export function watchIntervalMs(interval: Duration | undefined): number {
  if (!interval || (interval.seconds === 0n && interval.nanos === 0)) return DEFAULT_WATCH_INTERVAL_MS;
  const ms = Number(interval.seconds) * 1000 + interval.nanos / 1e6;
  if (!(ms >= MIN_WATCH_INTERVAL_MS && ms <= MAX_WATCH_INTERVAL_MS)) {
    throw new SteleError(
      "invalid-argument",
      `Sampling interval out of range: ${ms} ms`,
      `Give an interval from ${MIN_WATCH_INTERVAL_MS} ms to ${MAX_WATCH_INTERVAL_MS / 1000} s, or none for ${DEFAULT_WATCH_INTERVAL_MS / 1000} s`,
    );
  }
  return ms;
}

/** Reads a file of /proc; its failure is the node's, reported as an I/O error with the file's name. */
function readProc(name: string): string {
  try {
    return readFileSync(`/proc/${name}`, "utf8");
  } catch (error) {
    throw new SteleError(
      "io",
      `Cannot read /proc/${name}: ${(error as Error).message}`,
      "Check that /proc is mounted",
      { cause: error },
    );
  }
}
