import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The fields of `/proc/<pid>/stat` that process supervision needs. */
export interface ProcStat {
  pid: number;
  /** The command name, which may hold spaces and parentheses. */
  comm: string;
  /** One letter: R running, S sleeping, D disk wait, Z zombie, T stopped … */
  state: string;
  ppid: number;
}

/**
 * Parses one `/proc/<pid>/stat` line (`42 (my (odd) cmd) Z 1 …`). The command may hold `) `, so the
 * fields are read after the last `)`. Returns undefined for text that is not such a line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const [state, ppid] = text.slice(close + 2).split(" ");
  if (!Number.isInteger(pid) || pid <= 0 || !state || !/^\d+$/.test(ppid ?? "")) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid: Number(ppid) };
}

/**
 * Every process visible in `procDir` (default `/proc`) with its state and parent. Processes that
 * end while the directory is read are skipped: a snapshot, not a promise that they still exist.
 */
export function listProcesses(procDir = "/proc"): ProcStat[] {
  const processes: ProcStat[] = [];
  for (const name of readdirSync(procDir)) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(procDir, name, "stat"), "utf8");
    } catch {
      continue;
    }
    const stat = parseProcStat(text);
    if (stat) processes.push(stat);
  }
  return processes;
}
