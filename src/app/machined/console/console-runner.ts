import type { ChildProcess } from "node:child_process";
import { SteleError } from "../../../machinery/errors.ts";
import { describeExit } from "../system/describe-exit.ts";
import { LineSplitter } from "../system/line-splitter.ts";
import type { RunContext, RunExit, RunHandle, Runner } from "../system/runner.ts";
import { trackChildProcess } from "../system/spawned-pids.ts";
import { renderConsoleScreen } from "./console-screen.ts";
import type { ConsoleViewSource } from "./console-status.ts";
import { type ConsoleTerminal, LINUX_TTY_CALLS, type TtyCalls } from "./tty-calls.ts";

/** Clears the screen and homes the cursor (the Linux console's and every VT100's codes). */
const CLEAR = "\x1b[H\x1b[2J";

/** Options of {@link ConsoleRunner}. */
export interface ConsoleRunnerOptions {
  /** The terminal device, `/dev/tty2`. */
  tty: string;
  /** Its virtual terminal number, put on screen when the console starts. */
  vt: number;
  /** Where the kernel's console messages stay (tty1), away from the console's screen. */
  kernelVt: number;
  /** What the screen shows, and when it changed. */
  status: ConsoleViewSource;
  /** The dashboard program, started on a key press. */
  command: string;
  args: readonly string[];
  /** The whole environment of the dashboard. */
  env: Readonly<Record<string, string>>;
  calls?: TtyCalls;
}

/**
 * The console of a metal node, at no cost until someone is at it: machined itself (no child, no
 * ink) draws a plain-text screen on the terminal, redrawn when what it shows changes, and waits for
 * a key without blocking. A key starts the dashboard on the terminal (machined stops reading it
 * first, so no key goes astray); when the dashboard exits, the screen is back and waits again. The
 * run is the console itself: the service is `running` from boot (the node's readiness needs its
 * services up) and stays so across dashboard runs; the dashboard's start, exit and standard error
 * go to the service's log. Stopping the run stops the dashboard's whole process group.
 */
export class ConsoleRunner implements Runner {
  readonly options: Readonly<ConsoleRunnerOptions>;

  constructor(options: ConsoleRunnerOptions) {
    this.options = options;
  }

  start(context: RunContext): Promise<RunHandle> {
    const { tty, vt, kernelVt } = this.options;
    const calls = this.options.calls ?? LINUX_TTY_CALLS;
    if (context.signal.aborted) return Promise.reject(consoleFailure(tty, "the start was cancelled"));
    let fd: number;
    try {
      fd = calls.open(tty);
    } catch (error) {
      return Promise.reject(consoleFailure(tty, (error as Error).message, error));
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
    let terminal: ConsoleTerminal;
    try {
      terminal = calls.terminal(fd);
    } catch (error) {
      return Promise.reject(consoleFailure(tty, (error as Error).message, error));
    }
    return Promise.resolve(new ConsoleRun(this.options, { calls, context, terminal }));
  }
}

/** One run of the console: the screen, and the dashboard while one runs. */
class ConsoleRun implements RunHandle {
  readonly pid = undefined;
  readonly exited: Promise<RunExit>;
  readonly #options: Readonly<ConsoleRunnerOptions>;
  readonly #calls: TtyCalls;
  readonly #context: RunContext;
  readonly #stopWatching: () => void;
  #finish!: (exit: RunExit) => void;
  #terminal: ConsoleTerminal | undefined;
  #drawn = "";
  #note: string | undefined;
  #child: { readonly pid: number | undefined; readonly exited: Promise<RunExit> } | undefined;
  #stopping: Promise<RunExit> | undefined;
  #ended = false;

  constructor(
    options: Readonly<ConsoleRunnerOptions>,
    parts: { calls: TtyCalls; context: RunContext; terminal: ConsoleTerminal },
  ) {
    this.#options = options;
    this.#calls = parts.calls;
    this.#context = parts.context;
    this.exited = new Promise((resolve) => {
      this.#finish = resolve;
    });
    this.#stopWatching = options.status.onChange(() => this.#draw());
    this.#attach(parts.terminal);
  }

  stop(options: { timeoutMs: number }): Promise<RunExit> {
    if (this.#ended) return this.exited;
    this.#stopping ??= (async () => {
      this.#detach();
      const child = this.#child;
      if (child?.pid === undefined) return this.#end({ code: 0, signal: null });
      const pid = child.pid;
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), options.timeoutMs);
      const exit = await child.exited.finally(() => clearTimeout(timer));
      return this.#end(exit);
    })();
    return this.#stopping;
  }

  /** Shows machined's screen on `terminal` and waits for a key there. */
  #attach(terminal: ConsoleTerminal): void {
    this.#terminal = terminal;
    this.#drawn = "";
    terminal.onKey(() => {
      if (this.#terminal === terminal) this.#launch();
    });
    terminal.onError((error) => {
      if (this.#terminal !== terminal) return;
      this.#context.log.write(`console: cannot read ${this.#options.tty}: ${error.message}`, "stderr");
      this.#detach();
      this.#end({ code: 1, signal: null });
    });
    this.#draw();
  }

  /** Stops reading the terminal and closes it: the dashboard, or nobody, has it now. */
  #detach(): void {
    const terminal = this.#terminal;
    this.#terminal = undefined;
    terminal?.close();
  }

  #draw(): void {
    if (!this.#terminal) return;
    const text = renderConsoleScreen(this.#options.status.view, this.#note ? { note: this.#note } : {});
    if (text === this.#drawn) return;
    this.#drawn = text;
    this.#terminal.write(`${CLEAR}${text.replaceAll("\n", "\r\n")}\r\n`);
  }

  /** A key was pressed: hand the terminal to the dashboard. */
  #launch(): void {
    this.#detach();
    const { tty, command, args, env } = this.#options;
    const log = this.#context.log;
    let fd: number | undefined;
    let child: ChildProcess;
    try {
      fd = this.#calls.open(tty);
      child = this.#calls.spawn(command, args, { env: { ...env }, detached: true, stdio: [fd, fd, "pipe"] });
    } catch (error) {
      if (fd !== undefined) this.#calls.close(fd);
      this.#cannotStart((error as Error).message);
      return;
    }
    trackChildProcess(child);
    const held = fd;
    const stderr = new LineSplitter((line, cutBytes) =>
      log.write(line, "stderr", cutBytes > 0 ? { cutBytes } : undefined),
    );
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    let spawned = false;
    child.once("spawn", () => {
      spawned = true;
      // The dashboard holds its own copies now; machined keeps no terminal open while it runs.
      this.#calls.close(held);
      log.write(`console: dashboard started: pid ${child.pid}`, "stdout");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (spawned) return;
      this.#calls.close(held);
      this.#child = undefined;
      this.#cannotStart(error.code ?? error.message);
    });
    const exited = new Promise<RunExit>((resolve) => {
      child.once("exit", (code, signal) => {
        // Whatever it left behind on the terminal goes with it.
        if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
        stderr.end();
        child.stderr?.destroy();
        resolve({ code, signal });
      });
    });
    this.#child = { pid: child.pid, exited };
    // A program that never started may still report an exit: its error already took the screen back.
    void exited.then((exit) => spawned && this.#dashboardExited(exit));
  }

  #dashboardExited(exit: RunExit): void {
    this.#child = undefined;
    this.#context.log.write(`console: dashboard ${describeExit(exit)}`, "stdout");
    if (this.#stopping || this.#ended) return;
    this.#note =
      exit.code === 0 ? undefined : `The dashboard ${describeExit(exit)}: see \`stelectl logs dashboard\``;
    this.#reopen();
  }

  #cannotStart(detail: string): void {
    this.#context.log.write(`console: cannot start the dashboard: ${detail}`, "stderr");
    this.#note = `Cannot start the dashboard: ${detail}`;
    if (!this.#stopping && !this.#ended) this.#reopen();
  }

  /** Takes the terminal back for machined's screen; a terminal gone for good ends the run. */
  #reopen(): void {
    try {
      this.#attach(this.#calls.terminal(this.#calls.open(this.#options.tty)));
    } catch (error) {
      this.#context.log.write(
        `console: cannot take back ${this.#options.tty}: ${(error as Error).message}`,
        "stderr",
      );
      this.#end({ code: 1, signal: null });
    }
  }

  #end(exit: RunExit): RunExit {
    if (!this.#ended) {
      this.#ended = true;
      this.#stopWatching();
      this.#finish(exit);
    }
    return exit;
  }
}

function consoleFailure(tty: string, detail: string, cause?: unknown): SteleError {
  return new SteleError(
    "unavailable",
    `Cannot start the console on ${tty}: ${detail}`,
    "Check that the machine has a video console (virtual terminals)",
    { cause },
  );
}

/** Signals the process group led by `pid`; an empty group (ESRCH) is what was wanted. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
