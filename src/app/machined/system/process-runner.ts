import { type ChildProcess, spawn } from "node:child_process";
import { SteleError } from "../../../machinery/errors.ts";
import { LineSplitter } from "./line-splitter.ts";
import type { LogSink, RunContext, RunExit, RunHandle, Runner } from "./runner.ts";
import { trackChildProcess } from "./spawned-pids.ts";

/**
 * How long a run's output may keep flowing after its process exited. Output normally ends with
 * the process group (which is killed then); only a descendant that escaped into its own session
 * could hold the pipes open, and it must not delay the report of the exit for long.
 */
const OUTPUT_GRACE_MS = 1_000;

/** What {@link ProcessRunner} starts, besides the command. */
export interface ProcessRunnerOptions {
  args?: readonly string[];
  /** The whole environment of the process; machined's own when left out (not merged: services get what they are given). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Longest output line kept, in UTF-8 bytes; see `LineSplitter`. */
  maxLineBytes?: number;
}

/**
 * Runs a service as a plain child process. Each run gets its own session and process group, so
 * that stopping it (SIGTERM, then SIGKILL after the timeout) reaches every process it forked, and
 * whatever the group still holds when its leader exits is killed too: a restarted service never
 * finds its previous self holding its port. Output is read line by line into the log sink.
 * Children are reaped by Node (never by `waitpid` here) and listed in `spawnedPids()`.
 */
export class ProcessRunner implements Runner {
  readonly command: string;
  readonly options: Readonly<ProcessRunnerOptions>;

  constructor(command: string, options: ProcessRunnerOptions = {}) {
    this.command = command;
    this.options = options;
  }

  start(context: RunContext): Promise<RunHandle> {
    const { args = [], env, cwd, uid, gid } = this.options;
    const failure = (detail: string, cause?: unknown): SteleError =>
      new SteleError(
        "unavailable",
        `Cannot start ${this.command}: ${detail}`,
        "Check that the binary exists and is executable for the service's uid, and that its cwd exists",
        { cause },
      );
    if (context.signal.aborted) return Promise.reject(failure("the start was cancelled"));
    let child: ChildProcess;
    try {
      child = spawn(this.command, args, {
        cwd,
        env,
        uid,
        gid,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      return Promise.reject(failure(error instanceof Error ? error.message : String(error), error));
    }
    trackChildProcess(child);
    // Listeners go on before the first turn of the event loop, so no output and no exit is missed.
    const run = new ProcessRun(child, context.log, this.options.maxLineBytes);
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(failure(error.code ?? error.message, error));
      };
      child.once("error", onError);
      child.once("spawn", () => {
        child.off("error", onError);
        resolve(run);
      });
    });
  }
}

class ProcessRun implements RunHandle {
  readonly pid: number | undefined;
  readonly exited: Promise<RunExit>;
  #exit: RunExit | undefined;
  #stopping: Promise<RunExit> | undefined;

  constructor(child: ChildProcess, log: LogSink, maxLineBytes: number | undefined) {
    this.pid = child.pid;
    const options = maxLineBytes === undefined ? {} : { maxLineBytes };
    const stdout = new LineSplitter(
      (line, cutBytes) => log.write(line, "stdout", cutBytes > 0 ? { cutBytes } : undefined),
      options,
    );
    const stderr = new LineSplitter(
      (line, cutBytes) => log.write(line, "stderr", cutBytes > 0 ? { cutBytes } : undefined),
      options,
    );
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stdout?.on("end", () => stdout.end());
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stderr?.on("end", () => stderr.end());
    // Failures to signal an exited process surface here; the exit itself is what counts.
    child.on("error", () => {});
    this.exited = new Promise((resolve) => {
      let graceTimer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (): void => {
        if (settled || !this.#exit) return;
        settled = true;
        clearTimeout(graceTimer);
        stdout.end();
        stderr.end();
        resolve(this.#exit);
      };
      child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        // Whatever the service left behind in its group goes with it.
        if (this.pid !== undefined) signalGroup(this.pid, "SIGKILL");
        graceTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          settle();
        }, OUTPUT_GRACE_MS);
      });
      child.once("close", settle);
    });
  }

  stop(options: { timeoutMs: number }): Promise<RunExit> {
    if (this.#exit || this.pid === undefined) return this.exited;
    if (!this.#stopping) {
      const pid = this.pid;
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), options.timeoutMs);
      this.#stopping = this.exited.finally(() => clearTimeout(timer));
    }
    return this.#stopping;
  }
}

/**
 * Signals the process group led by `pid`. The group outlives its leader while members remain,
 * and Linux does not reuse a PID still in use as a group id, so this never hits a stranger.
 */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already empty, which is what we wanted.
  }
}
