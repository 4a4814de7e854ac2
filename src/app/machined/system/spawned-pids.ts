import type { ChildProcess } from "node:child_process";

const pids = new Set<number>();

/**
 * The processes machined started through `node:child_process` and Node has not reaped yet.
 * As PID 1, machined must also reap orphans re-parented to it; its reaper must leave these PIDs
 * alone (peek with `waitid(…, WNOWAIT)` and reap only PIDs not in this set), or it would steal the
 * exit status Node waits for and a service's exit would never be reported.
 *
 * A PID is added synchronously when `spawn` returns and removed when Node reports the exit, that
 * is after Node has reaped it; on one thread nothing can run between spawn and the add.
 */
export function spawnedPids(): ReadonlySet<number> {
  return new Set(pids);
}

/**
 * Adds a child started with `node:child_process` to {@link spawnedPids} until it exits. Every
 * spawn in machined goes through this (the process runner does it itself), not only services':
 * a helper's `execFile` is as exposed to the reaper as a daemon.
 */
export function trackChildProcess(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  pids.add(pid);
  child.once("exit", () => pids.delete(pid));
}
