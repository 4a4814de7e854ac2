import { SteleError } from "../../../machinery/errors.ts";
import type { LogSink, RunContext, RunExit, RunHandle, Runner } from "./runner.ts";

/** Options of {@link FakeRunner}. */
export interface FakeRunnerOptions {
  /**
   * When true, `stop` only records the request and the run keeps going until the test ends it
   * (`exit`/`crash`), as a slow daemon would: how tests see which stops overlap. Default false:
   * a stop ends the run at once, as if by SIGTERM.
   */
  holdStop?: boolean;
}

let nextFakePid = 100_000;

/**
 * One run of a {@link FakeRunner}: the test decides when and how it ends, and sees what the
 * supervisor asked of it.
 */
export class FakeRun implements RunHandle {
  readonly pid: number;
  readonly exited: Promise<RunExit>;
  /** The sink the supervisor gave this run; tests write to it as the service would. */
  readonly log: LogSink;
  /** The timeout of every `stop` call received, in order. */
  readonly stopRequests: number[] = [];
  readonly #holdStop: boolean;
  #resolve!: (exit: RunExit) => void;
  #exit: RunExit | undefined;

  constructor(log: LogSink, holdStop: boolean) {
    this.pid = nextFakePid++;
    this.log = log;
    this.#holdStop = holdStop;
    this.exited = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** How the run ended, or undefined while it runs. */
  get exit(): RunExit | undefined {
    return this.#exit;
  }

  /** Ends the run with an exit code, as a process returning from main. */
  exitWith(code: number): void {
    this.#end({ code, signal: null });
  }

  /** Ends the run as killed by `signal` (a segfault by default). */
  crash(signal: NodeJS.Signals = "SIGSEGV"): void {
    this.#end({ code: null, signal });
  }

  stop(options: { timeoutMs: number }): Promise<RunExit> {
    this.stopRequests.push(options.timeoutMs);
    if (!this.#holdStop) this.#end({ code: null, signal: "SIGTERM" });
    return this.exited;
  }

  #end(exit: RunExit): void {
    if (this.#exit) return;
    this.#exit = exit;
    this.#resolve(exit);
  }
}

/**
 * A runner for tests: each start creates a {@link FakeRun} the test controls (exit, crash, log),
 * and a start can be made to fail. Lets supervisor tests cover ordering, backoff and restart
 * policy exactly and without processes.
 */
export class FakeRunner implements Runner {
  /** Every run started, oldest first. */
  readonly runs: FakeRun[] = [];
  readonly #holdStop: boolean;
  readonly #startFailures: Error[] = [];
  readonly #waiters: Array<{ index: number; resolve: (run: FakeRun) => void }> = [];

  constructor(options: FakeRunnerOptions = {}) {
    this.#holdStop = options.holdStop ?? false;
  }

  /** The latest run if it has not ended. */
  get current(): FakeRun | undefined {
    const last = this.runs.at(-1);
    return last && !last.exit ? last : undefined;
  }

  /** Makes the next start fail with `error`, as a missing binary would. */
  failNextStart(error: Error = new Error("spawn ENOENT")): void {
    this.#startFailures.push(error);
  }

  /** Resolves with run number `index` (0 for the first) once it has started. */
  run(index: number): Promise<FakeRun> {
    const run = this.runs[index];
    if (run) return Promise.resolve(run);
    return new Promise((resolve) => this.#waiters.push({ index, resolve }));
  }

  start(context: RunContext): Promise<RunHandle> {
    const failure = this.#startFailures.shift();
    if (failure) return Promise.reject(failure);
    if (context.signal.aborted) {
      return Promise.reject(new SteleError("unavailable", "Cannot start fake run: the start was cancelled"));
    }
    const run = new FakeRun(context.log, this.#holdStop);
    this.runs.push(run);
    const index = this.runs.length - 1;
    for (const waiter of this.#waiters.filter((w) => w.index === index)) waiter.resolve(run);
    this.#waiters.splice(0, this.#waiters.length, ...this.#waiters.filter((w) => w.index !== index));
    return Promise.resolve(run);
  }
}
