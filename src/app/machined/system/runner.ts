/**
 * What a runner tells a log sink about a line it had to cut: the number of UTF-8 bytes dropped from
 * its end. Passed on rather than marked here, so that the log store marks cut lines in one format.
 */
export interface LogLineInfo {
  readonly cutBytes: number;
}

/**
 * Where a service's output goes, one whole line at a time (without its newline). An interface so
 * that the supervisor does not know about the log store (rings, files) the daemon plugs in.
 */
export interface LogSink {
  write(line: string, stream: "stdout" | "stderr", info?: LogLineInfo): void;
}

/** How one run of a service ended: an exit code, or the signal that killed it, never both. */
export interface RunExit {
  /** The exit code, or `null` when a signal ended the process. */
  readonly code: number | null;
  /** The signal that ended the process (`SIGKILL` …), or `null` when it exited by itself. */
  readonly signal: NodeJS.Signals | null;
}

/** What the supervisor hands a runner for one run. */
export interface RunContext {
  /** The service's id, for the runner's own messages. */
  readonly serviceId: string;
  /** Where the run's stdout and stderr lines go. */
  readonly log: LogSink;
  /** Aborted when the supervisor gives up on starting this run (the service was stopped meanwhile). */
  readonly signal: AbortSignal;
}

/**
 * One started run of a service: a process, a container, or a fake in tests. The supervisor only
 * waits for it to end or asks it to stop; everything else is the runner's business.
 */
export interface RunHandle {
  /** The process id when there is a process of ours (for `stelectl services`, reaping, tests). */
  readonly pid: number | undefined;
  /** Settles once, when the run has ended and its output has been written to the log sink. */
  readonly exited: Promise<RunExit>;
  /**
   * Asks the run to end (SIGTERM), forces it after `timeoutMs` (SIGKILL), and resolves with how
   * it ended. Safe to call more than once and after the run has ended.
   */
  stop(options: { timeoutMs: number }): Promise<RunExit>;
}

/**
 * Starts runs of one service. The supervisor calls `start` once per (re)start; it rejects when
 * nothing could be started at all (missing binary, bad uid), which counts as a failed run.
 */
export interface Runner {
  start(context: RunContext): Promise<RunHandle>;
}
