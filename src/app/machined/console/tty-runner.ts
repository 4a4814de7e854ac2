import { type ChildProcess, spawn as nodeSpawn, type SpawnOptions } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { SteleError } from "../../../machinery/errors.ts";
import { activateVirtualTerminal, redirectKernelMessages } from "../../../pkg/linux/index.ts";
import { LineSplitter } from "../system/line-splitter.ts";
import type { RunContext, RunExit, RunHandle, Runner } from "../system/runner.ts";
import { trackChildProcess } from "../system/spawned-pids.ts";

/** The calls a {@link TtyRunner} makes on the machine; tests pass fakes, so no real VT is touched. */
export interface TtyCalls {
  /** Opens the terminal read-write without making it machined's controlling terminal; returns the fd. */
  open(path: string): number;
  close(fd: number): void;
  /** Puts virtual terminal `vt` on screen and keeps the kernel's messages on `kernelVt`. */
  show(fd: number, options: { vt: number; kernelVt: number }): void;
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
}

/** The real calls: open(2) O_RDWR|O_NOCTTY, VT_ACTIVATE and TIOCL_SETKMSGREDIRECT, child_process.spawn. */
export const LINUX_TTY_CALLS: TtyCalls = {
  open: (path) => openSync(path, constants.O_RDWR | constants.O_NOCTTY),
  close: (fd) => closeSync(fd),
  show: (fd, { vt, kernelVt }) => {
    redirectKernelMessages(fd, kernelVt);
    activateVirtualTerminal(fd, vt);
  },
  spawn: (command, args, options) => nodeSpawn(command, [...args], options),
};

/** Options of {@link TtyRunner}. */
export interface TtyRunnerOptions {
  /** The terminal device, `/dev/tty2`. */
  tty: string;
  /** Its virtual terminal number, put on screen at every start. */
  vt: number;
  /** Where the kernel's console messages stay (tty1), away from the program's screen. */
  kernelVt: number;
  command: string;
  args: readonly string[];
  /** The whole environment of the program. */
  env: Readonly<Record<string, string>>;
  calls?: TtyCalls;
}

/**
 * Runs a program with a terminal as its standard input and output, for the console dashboard: the
 * terminal is opened by machined (so the program needs no access to /dev), shown on screen, and
 * handed to the child, which gets a session of its own (detached) as a supervised service does.
 * Standard error stays a pipe into the service's log, so a crash is read with `stelectl logs`
 * rather than lost on a screen the next run clears. Stopping signals the whole process group.
 */
export class TtyRunner implements Runner {
  readonly options: Readonly<TtyRunnerOptions>;

  constructor(options: TtyRunnerOptions) {
    this.options = options;
  }

  start(context: RunContext): Promise<RunHandle> {
    const { tty, vt, kernelVt, command, args, env } = this.options;
    const calls = this.options.calls ?? LINUX_TTY_CALLS;
    const failure = (detail: string, cause?: unknown) =>
      new SteleError(
        "unavailable",
        `Cannot start ${command} on ${tty}: ${detail}`,
        "Check that the machine has a video console (virtual terminals)",
        {
          cause,
        },
      );
    if (context.signal.aborted) return Promise.reject(failure("the start was cancelled"));
    let fd: number;
    try {
      fd = calls.open(tty);
    } catch (error) {
      return Promise.reject(failure((error as Error).message, error));
    }
    try {
      calls.show(fd, { vt, kernelVt });
    } catch (error) {
      // Still usable with Alt+F2: say so in the log rather than refuse to run.
      context.log.write(
        `console: cannot switch the display to ${tty}: ${(error as Error).message}`,
        "stderr",
      );
    }
    let child: ChildProcess;
    try {
      child = calls.spawn(command, args, { env: { ...env }, detached: true, stdio: [fd, fd, "pipe"] });
    } catch (error) {
      calls.close(fd);
      return Promise.reject(failure((error as Error).message, error));
    }
    trackChildProcess(child);
    const run = new TtyRun(child, context);
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        calls.close(fd);
        reject(failure(error.code ?? error.message, error));
      };
      child.once("error", onError);
      child.once("spawn", () => {
        child.off("error", onError);
        // The child holds its own copies now; machined keeps no terminal open between runs.
        calls.close(fd);
        resolve(run);
      });
    });
  }
}

class TtyRun implements RunHandle {
  readonly pid: number | undefined;
  readonly exited: Promise<RunExit>;
  #stopping: Promise<RunExit> | undefined;
  #ended = false;

  constructor(child: ChildProcess, context: RunContext) {
    this.pid = child.pid;
    const stderr = new LineSplitter((line, cutBytes) =>
      context.log.write(line, "stderr", cutBytes > 0 ? { cutBytes } : undefined),
    );
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", () => {});
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#ended = true;
        if (this.pid !== undefined) signalGroup(this.pid, "SIGKILL");
        stderr.end();
        child.stderr?.destroy();
        resolve({ code, signal });
      });
    });
  }

  stop(options: { timeoutMs: number }): Promise<RunExit> {
    if (this.#ended || this.pid === undefined) return this.exited;
    if (!this.#stopping) {
      const pid = this.pid;
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), options.timeoutMs);
      this.#stopping = this.exited.finally(() => clearTimeout(timer));
    }
    return this.#stopping;
  }
}

/** Signals the process group led by `pid`; an empty group (ESRCH) is what was wanted. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
