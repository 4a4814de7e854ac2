import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { MemInfo, ProcessInfo } from "../../../machinery/api/machine/v1alpha1/machine.ts";

/**
 * Jiffies per second of /proc/stat's times (USER_HZ). The kernel fixes it at 100 for userspace on every
 * architecture Stele runs on, whatever CONFIG_HZ is, so it is a constant and not a sysconf call.
 */
export const CLOCK_TICKS_PER_SECOND = 100;
/** Page size for /proc's rss; 4 KiB on x86-64 and the usual arm64 kernels. */
const PAGE_SIZE = 4096;

interface Stat {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  threads: number;
  cpuSeconds: number;
  vsize: bigint;
  rssPages: bigint;
}

/**
 * The processes of the node, read from /proc: all of them on metal; on container only machined
 * and its descendants (`rootPid`), since the host's other processes are not this node's.
 */
/**
 * A process and all its descendants, from a pid → ppid map: the processes of one node when machined
 * is not PID 1. Walks down from the root rather than up from each process, since pids wrap and a
 * parent may have a larger pid than its child.
 */
export function descendantsOf(parents: ReadonlyMap<number, number>, rootPid: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const seen = new Set<number>();
  const queue = parents.has(rootPid) ? [rootPid] : [];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return seen;
}

export function readProcesses(options: { rootPid?: number; proc?: string } = {}): ProcessInfo[] {
  const proc = options.proc ?? "/proc";
  const stats = new Map<number, Stat>();
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(`${proc}/${name}/stat`);
    if (stat) stats.set(stat.pid, stat);
  }
  let selected = [...stats.values()];
  if (options.rootPid !== undefined) {
    const keep = descendantsOf(
      new Map([...stats.values()].map((stat) => [stat.pid, stat.ppid])),
      options.rootPid,
    );
    selected = selected.filter((stat) => keep.has(stat.pid));
  }
  return selected
    .sort((a, b) => a.pid - b.pid)
    .map((stat) => ({
      pid: stat.pid,
      ppid: stat.ppid,
      state: stat.state,
      threads: stat.threads,
      cpuTime: stat.cpuSeconds,
      virtualMemory: stat.vsize,
      residentMemory: stat.rssPages * BigInt(PAGE_SIZE),
      command: stat.comm,
      executable: readOr(() => readlinkSync(`${proc}/${stat.pid}/exe`), ""),
      args: readOr(() => readFileSync(`${proc}/${stat.pid}/cmdline`, "utf8"), "")
        .split("\0")
        .filter(Boolean)
        .join(" "),
    }));
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. The command may hold spaces and parentheses. */
function readStat(path: string): Stat | undefined {
  const text = readOr(() => readFileSync(path, "utf8"), "");
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  // Fields after the command, numbered from 3 (state) as in proc(5).
  const fields = text.slice(close + 2).split(" ");
  const field = (n: number) => fields[n - 3] ?? "0";
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: field(3),
    ppid: Number(field(4)),
    cpuSeconds: (Number(field(14)) + Number(field(15))) / CLOCK_TICKS_PER_SECOND,
    threads: Number(field(20)),
    vsize: BigInt(field(23)),
    rssPages: BigInt(field(24)),
  };
}

const MEMINFO_FIELDS: Readonly<Record<string, keyof MemInfo>> = {
  MemTotal: "memTotal",
  MemFree: "memFree",
  MemAvailable: "memAvailable",
  Buffers: "buffers",
  Cached: "cached",
  SwapCached: "swapCached",
  Active: "active",
  Inactive: "inactive",
  SwapTotal: "swapTotal",
  SwapFree: "swapFree",
  Dirty: "dirty",
  Writeback: "writeback",
  AnonPages: "anonPages",
  Mapped: "mapped",
  Shmem: "shmem",
  Slab: "slab",
  SReclaimable: "sReclaimable",
  SUnreclaim: "sUnreclaim",
  KernelStack: "kernelStack",
  PageTables: "pageTables",
  CommitLimit: "commitLimit",
  Committed_AS: "committedAs",
  HugePages_Total: "hugePagesTotal",
  HugePages_Free: "hugePagesFree",
  Hugepagesize: "hugePageSize",
};

/** /proc/meminfo in bytes (the kernel writes kB; HugePages_* are counts and stay counts). */
export function parseMeminfo(text: string): MemInfo {
  const info = Object.fromEntries(
    Object.values(MEMINFO_FIELDS).map((key) => [key, 0n]),
  ) as unknown as MemInfo;
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z_()0-9]+):\s+(\d+)(\s+kB)?/.exec(line);
    const key = match && MEMINFO_FIELDS[match[1]!];
    if (!match || !key) continue;
    info[key] = BigInt(match[2]!) * (match[3] ? 1024n : 1n);
  }
  return info;
}

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
