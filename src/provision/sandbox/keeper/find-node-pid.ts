import { setTimeout as sleep } from "node:timers/promises";
import { listProcesses } from "../../../pkg/linux/index.ts";

/** Options of {@link findNodePid}. */
export interface FindNodePidOptions {
  /** Stop looking when this resolves (the launcher exited before forking). */
  gone: Promise<unknown>;
  procDir?: string;
  intervalMs?: number;
}

/**
 * The host PID of a node's PID 1: the one child of `unshare --fork` (the launcher, which `nsenter`
 * became by execve). Polled from /proc, as Node has no other view of grandchildren; undefined if the
 * launcher ends first. Fork follows exec within milliseconds, so the poll is short.
 */
export async function findNodePid(
  launcherPid: number,
  options: FindNodePidOptions,
): Promise<number | undefined> {
  let ended = false;
  void options.gone.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  for (;;) {
    const child = listProcesses(options.procDir).find((p) => p.ppid === launcherPid);
    if (child) return child.pid;
    if (ended) return undefined;
    await sleep(options.intervalMs ?? 10);
  }
}
