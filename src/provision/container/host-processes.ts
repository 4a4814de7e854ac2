import { readdirSync, readFileSync, statSync } from "node:fs";

/** The command line of a process, or undefined when it is gone (or a kernel thread). */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (raw === "") return undefined;
    return raw.replace(/\0$/, "").split("\0");
  } catch {
    return undefined;
  }
}

/** Whether a process exists and is not a zombie (a zombie has exited; only its status is left). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the command name, which is in parentheses and may itself hold ") ".
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Every PID in /proc, this process excluded. */
export function allPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** The running processes whose command line contains `text` (this process excluded). */
export function processesNaming(text: string): Array<{ pid: number; cmdline: string[] }> {
  const found: Array<{ pid: number; cmdline: string[] }> = [];
  for (const pid of allPids()) {
    const cmdline = readCmdline(pid);
    if (cmdline?.some((arg) => arg.includes(text)) && isRunning(pid)) found.push({ pid, cmdline });
  }
  return found;
}

/**
 * The processes inside a network namespace, found by comparing each process's `/proc/PID/ns/net`
 * with the namespace file (`/run/netns/X`): whatever a node started is in its namespace, even a
 * process that escaped its cgroup or whose command line says nothing.
 */
export function processesInNetns(netnsFile: string): number[] {
  let target: { dev: number; ino: number };
  try {
    target = statSync(netnsFile);
  } catch {
    return [];
  }
  return allPids().filter((pid) => {
    try {
      const ns = statSync(`/proc/${pid}/ns/net`);
      return ns.ino === target.ino && ns.dev === target.dev && isRunning(pid);
    } catch {
      return false;
    }
  });
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Waits until none of `pids` runs, polling every 100 ms, or until `timeoutMs` passes; returns those
 * still running. Polling, not waitpid: the processes are not this process's children.
 */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let running = pids.filter(isRunning);
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    running = running.filter(isRunning);
  }
  return running;
}

/**
 * Whether `pid` is a running `sandbox-keeper` of a node in `clusterDir`: checked through its
 * command line before it is signalled or shown as running, because a PID recorded in cluster.json
 * may belong to another process by now.
 */
export function isKeeperOf(pid: number, clusterDir: string): boolean {
  const cmdline = readCmdline(pid);
  return (
    cmdline !== undefined &&
    isRunning(pid) &&
    cmdline.includes("sandbox-keeper") &&
    cmdline.some((arg) => arg.startsWith(`${clusterDir}/`))
  );
}

/** The PID in a pid file (`keeper.pid`, `node.pid`), or undefined when it is missing or not a PID. */
export function readPidFile(path: string): number | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
