import { listProcesses, type ProcStat, type WaitResult, waitpid } from "../../../pkg/linux/index.ts";
import { spawnedPids } from "./spawned-pids.ts";

/** Options of {@link OrphanReaper}; every one has the real default, tests pass fakes. */
export interface OrphanReaperOptions {
  /** The processes to consider (default: /proc of this PID namespace). */
  processes?: () => readonly ProcStat[];
  /** Reaps one PID without blocking (default: waitpid(pid, WNOHANG)). */
  waitpid?: (pid: number) => WaitResult | undefined;
  /** PIDs Node will reap itself (default: spawnedPids()). */
  spawnedPids?: () => ReadonlySet<number>;
  /** Period of the sweep (default 500 ms). */
  intervalMs?: number;
  /** Called for each orphan reaped (logging, tests). */
  onReap?: (reaped: WaitResult) => void;
  /** Called when a sweep fails (a waitpid refused): the reaper keeps sweeping. */
  onError?: (error: unknown) => void;
}

/**
 * The orphans PID 1 must reap: zombies (state Z) whose parent is PID 1, except the ones that
 * `node:child_process` started, which libuv reaps itself and whose exit statuses it reports.
 * Pure, so the selection is tested on a fake process table.
 */
export function orphansToReap(processes: readonly ProcStat[], spawned: ReadonlySet<number>): number[] {
  return processes.filter((p) => p.state === "Z" && p.ppid === 1 && !spawned.has(p.pid)).map((p) => p.pid);
}

/**
 * Reaps the orphans re-parented to machined when it is PID 1, without stealing the exit statuses of
 * the processes it started (a `waitpid(-1)` loop loses 1–7% of them under load). Node cannot listen
 * to SIGCHLD (libuv owns it), so it sweeps: every `intervalMs`, and on demand with {@link sweep},
 * it lists zombies in /proc whose parent is PID 1 and that are not in `spawnedPids()`, and
 * `waitpid(pid, WNOHANG)`s exactly those. Safe: only this process can reap a child of PID 1, libuv
 * only reaps the PIDs it spawned, and a zombie's PID cannot be reused before it is reaped.
 */
export class OrphanReaper {
  readonly #processes: () => readonly ProcStat[];
  readonly #waitpid: (pid: number) => WaitResult | undefined;
  readonly #spawned: () => ReadonlySet<number>;
  readonly #intervalMs: number;
  readonly #onReap: (reaped: WaitResult) => void;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: OrphanReaperOptions = {}) {
    this.#processes = options.processes ?? (() => listProcesses());
    this.#waitpid = options.waitpid ?? ((pid) => waitpid(pid, { noHang: true }));
    this.#spawned = options.spawnedPids ?? spawnedPids;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#onReap = options.onReap ?? (() => {});
    this.#onError = options.onError ?? (() => {});
  }

  /** Starts the periodic sweep; the timer does not keep the process alive. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sweep(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Reaps every orphan that is a zombie now; returns what was reaped. Never throws (see onError). */
  sweep(): WaitResult[] {
    const reaped: WaitResult[] = [];
    let candidates: number[];
    try {
      candidates = orphansToReap(this.#processes(), this.#spawned());
    } catch (error) {
      this.#onError(error);
      return reaped;
    }
    for (const pid of candidates) {
      try {
        const result = this.#waitpid(pid);
        if (result) {
          reaped.push(result);
          this.#onReap(result);
        }
      } catch (error) {
        this.#onError(error);
      }
    }
    return reaped;
  }

  /** Stops the periodic sweep. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
