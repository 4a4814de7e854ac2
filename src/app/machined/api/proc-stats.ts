import { type BigIntStatsFs, readdirSync, readFileSync, statfsSync } from "node:fs";
import type {
  CPUTimes,
  DiskCounters,
  FilesystemUsage,
  InterfaceCounters,
  LoadAverage,
  MountInfo,
} from "../../../machinery/api/machine/v1alpha1/stats.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { CLOCK_TICKS_PER_SECOND, descendantsOf } from "./proc-info.ts";

export { CLOCK_TICKS_PER_SECOND };

/** What StatsService reports of /proc/stat. */
export interface ProcStat {
  /** All CPUs together, the `cpu` line. */
  total: CPUTimes;
  /** The `cpuN` lines: the CPUs online now, which need not be all the machine has. */
  cpus: CPUTimes[];
  contextSwitches: bigint;
  processesCreated: bigint;
  processesRunning: number;
  processesBlocked: number;
  /** Undefined when the kernel wrote no `btime`. */
  bootTime: Date | undefined;
}

/**
 * Parses /proc/stat. Lines it does not know (intr, softirq) are skipped, and times a kernel leaves out
 * (steal before 2.6.11) are 0, so a dashboard keeps working on any kernel. The `cpu` line must be there:
 * without it the file is not /proc/stat.
 */
export function parseProcStat(text: string): ProcStat {
  let total: CPUTimes | undefined;
  const stat: Omit<ProcStat, "total"> = {
    cpus: [],
    contextSwitches: 0n,
    processesCreated: 0n,
    processesRunning: 0,
    processesBlocked: 0,
    bootTime: undefined,
  };
  for (const line of text.split("\n")) {
    const [key = "", ...values] = line.trim().split(/\s+/);
    if (key === "cpu") total = cpuTimes(key, values);
    else if (/^cpu\d+$/.test(key)) stat.cpus.push(cpuTimes(key, values));
    else if (key === "ctxt") stat.contextSwitches = counter(values[0]);
    else if (key === "processes") stat.processesCreated = counter(values[0]);
    else if (key === "procs_running") stat.processesRunning = Number(counter(values[0]));
    else if (key === "procs_blocked") stat.processesBlocked = Number(counter(values[0]));
    else if (key === "btime") stat.bootTime = new Date(Number(counter(values[0])) * 1000);
  }
  if (!total) {
    throw new SteleError(
      "io",
      "Cannot parse /proc/stat: no cpu line",
      "Check that /proc is the kernel's procfs, mounted and readable",
    );
  }
  return { total, ...stat };
}

function cpuTimes(name: string, values: readonly string[]): CPUTimes {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(counter);
  return {
    name,
    user: user ?? 0n,
    nice: nice ?? 0n,
    system: system ?? 0n,
    idle: idle ?? 0n,
    iowait: iowait ?? 0n,
    irq: irq ?? 0n,
    softirq: softirq ?? 0n,
    steal: steal ?? 0n,
  };
}

/** Parses /proc/loadavg, `0.31 0.63 1.21 1/87 20853`: three averages, running/total threads, last pid. */
export function parseLoadavg(text: string): LoadAverage {
  const match = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\/(\d+)/.exec(text);
  const load = match?.slice(1, 4).map(Number);
  if (!match || !load || load.some((value) => !Number.isFinite(value))) {
    throw new SteleError(
      "io",
      `Cannot parse /proc/loadavg: ${JSON.stringify(text.trim().slice(0, 80))}`,
      "Check that /proc is the kernel's procfs, mounted and readable",
    );
  }
  return {
    load1: load[0]!,
    load5: load[1]!,
    load15: load[2]!,
    runningTasks: Number(match[4]),
    totalTasks: Number(match[5]),
  };
}

/**
 * Parses /proc/diskstats: one line per block device, `major minor name` then 11 counters (kernels from
 * 4.18 and 5.5 append discard and flush counters, which are not reported). Shorter lines, as 2.6 wrote
 * for partitions, are skipped rather than reported with made-up zeros.
 */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const [major, minor, name, ...values] = line.trim().split(/\s+/);
    if (!major || !minor || !name || values.length < 11) continue;
    const c = values.slice(0, 11).map(counter);
    disks.push({
      name,
      major: Number(major),
      minor: Number(minor),
      readsCompleted: c[0]!,
      readsMerged: c[1]!,
      sectorsRead: c[2]!,
      readTimeMs: c[3]!,
      writesCompleted: c[4]!,
      writesMerged: c[5]!,
      sectorsWritten: c[6]!,
      writeTimeMs: c[7]!,
      ioInProgress: c[8]!,
      ioTimeMs: c[9]!,
      weightedIoTimeMs: c[10]!,
    });
  }
  return disks;
}

/**
 * Parses /proc/net/dev: after two header lines, `name: ` then 8 receive and 8 transmit counters. The
 * kernel pads names to 6 columns but writes a long counter right after the colon (`eth0:1234567890`), so
 * the name ends at the first colon, a character interface names cannot hold.
 */
export function parseNetDev(text: string): InterfaceCounters[] {
  const interfaces: InterfaceCounters[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const c = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (!name || name.includes("|") || c.length < 16) continue;
    interfaces.push({
      name,
      rxBytes: counter(c[0]),
      rxPackets: counter(c[1]),
      rxErrors: counter(c[2]),
      rxDropped: counter(c[3]),
      txBytes: counter(c[8]),
      txPackets: counter(c[9]),
      txErrors: counter(c[10]),
      txDropped: counter(c[11]),
    });
  }
  return interfaces;
}

/**
 * Parses /proc/self/mountinfo (proc(5)): `id parent major:minor root target options [optional…] - fstype
 * source super-options`. Paths come back unescaped (the kernel writes a space as `\040`). `options` joins
 * the mount's and the filesystem's options, without repeats, led by the `ro` or `rw` that holds: a mount
 * is read-only when either says so.
 */
export function parseMountinfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-", 6);
    if (fields.length < 6 || dash < 0 || fields.length < dash + 3) continue;
    const mountOptions = fields[5]!.split(",");
    const superOptions = (fields[dash + 3] ?? "").split(",").filter(Boolean);
    const readOnly = mountOptions.includes("ro") || superOptions.includes("ro");
    const rest = [...mountOptions, ...superOptions].filter((option) => option !== "ro" && option !== "rw");
    mounts.push({
      source: unescapeMountField(fields[dash + 2]!),
      target: unescapeMountField(fields[4]!),
      fstype: fields[dash + 1]!,
      options: [readOnly ? "ro" : "rw", ...new Set(rest)].join(","),
      readOnly,
    });
  }
  return mounts;
}

/** Undoes the kernel's octal escapes of space, tab, newline and backslash in mountinfo paths. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * How full the filesystem holding `localPath` is, reported as `nodePath` (on the container platform the
 * node's /var is a directory of the host). Bytes are blocks times the block size statfs reports.
 */
export function filesystemUsage(nodePath: string, localPath: string): FilesystemUsage {
  let stats: BigIntStatsFs;
  try {
    stats = statfsSync(localPath, { bigint: true });
  } catch (error) {
    throw new SteleError(
      "io",
      `Cannot read the usage of ${nodePath}: ${(error as Error).message}`,
      "Check that the filesystem is mounted",
      { cause: error },
    );
  }
  return {
    path: nodePath,
    totalBytes: stats.blocks * stats.bsize,
    freeBytes: stats.bfree * stats.bsize,
    availableBytes: stats.bavail * stats.bsize,
    totalInodes: stats.files,
    freeInodes: stats.ffree,
  };
}

/**
 * How many processes run: all of /proc on metal; on the container platform only `rootPid` (machined)
 * and its descendants, the processes the Processes RPC lists, since the host's others are not the node's.
 */
export function countProcesses(options: { rootPid?: number; proc?: string } = {}): number {
  const proc = options.proc ?? "/proc";
  const pids = readdirSync(proc).filter((name) => /^\d+$/.test(name));
  if (options.rootPid === undefined) return pids.length;
  const parents = new Map<number, number>();
  for (const pid of pids) {
    const ppid = parentOf(`${proc}/${pid}/stat`);
    if (ppid !== undefined) parents.set(Number(pid), ppid);
  }
  return descendantsOf(parents, options.rootPid).size;
}

/** The ppid of /proc/<pid>/stat; undefined when the process is gone. The command may hold `) `. */
function parentOf(statPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(statPath, "utf8");
  } catch {
    return undefined;
  }
  const ppid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** A kernel counter; garbage reads as 0 rather than failing the whole reply over one odd field. */
function counter(value: string | undefined): bigint {
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : 0n;
}
