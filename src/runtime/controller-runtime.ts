import { SteleError } from "../machinery/errors.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Controller } from "./controller.ts";
import { createControllerAdapter } from "./controller-adapter.ts";
import { buildDependencyGraph, type DependencyGraph, formatGraphDot } from "./dependency-graph.ts";
import { type Logger, silentLogger, withFields } from "./logger.ts";
import type { ResourceStore } from "./resource-store.ts";

/** How a `ControllerRuntime` logs, keeps time and backs off. */
export interface ControllerRuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  backoff?: BackoffOptions;
  /**
   * How long `stop()` waits for controllers that do not return when their signal aborts (default
   * 10 s). Past it, `stop()` logs their names and returns: shutdown must not hang on one bad loop.
   */
  stopTimeoutMs?: number;
}

/** Where a controller is in its life, as `status()` reports it. */
export type ControllerState = "registered" | "running" | "backoff" | "finished" | "stopped";

/** One controller's health, for the API and the dashboard. */
export interface ControllerStatus {
  readonly name: string;
  readonly state: ControllerState;
  /** Runs that threw, since registration. */
  readonly failures: number;
  /** The message of the last failure. */
  readonly lastError: string | undefined;
  /** The wait before the current or next restart, in ms. */
  readonly backoffMs: number | undefined;
}

interface Entry {
  readonly controller: Controller;
  state: ControllerState;
  failures: number;
  lastError: string | undefined;
  backoffMs: number | undefined;
  loop: Promise<void> | undefined;
}

/**
 * Runs controllers against a resource store, as COSI's runtime does for Talos's machined: each in
 * its own loop, restarted with exponential backoff when it throws, so that one broken controller
 * degrades one function of the node instead of taking PID 1 down.
 *
 * Lifecycle: `register` controllers (before or after `start`), `start()`, then `stop()` (or
 * `close()`), which aborts every controller and waits for it. A stopped runtime is not restarted.
 */
export class ControllerRuntime {
  readonly #store: ResourceStore;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #backoff: Required<BackoffOptions>;
  readonly #stopTimeoutMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #abort = new AbortController();
  #state: "new" | "running" | "stopped" = "new";

  constructor(store: ResourceStore, options: ControllerRuntimeOptions = {}) {
    this.#store = store;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = {
      baseMs: options.backoff?.baseMs ?? DEFAULT_BACKOFF.baseMs,
      capMs: options.backoff?.capMs ?? DEFAULT_BACKOFF.capMs,
      resetAfterMs: options.backoff?.resetAfterMs ?? DEFAULT_BACKOFF.resetAfterMs,
    };
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  }

  /**
   * Adds a controller, after checking that its name is unique and that no two controllers claim a
   * type where one of them declares it exclusive: such a conflict is a wiring bug, and failing at
   * registration names it at start-up instead of as "permission-denied" errors at runtime.
   */
  register(controller: Controller): void {
    if (this.#state === "stopped") {
      throw new SteleError(
        "failed-precondition",
        `Cannot register controller ${JSON.stringify(controller.name)}: the runtime is stopped`,
        "Create a new ControllerRuntime",
      );
    }
    if (!controller.name) {
      throw new SteleError(
        "invalid-argument",
        "Invalid controller: empty name",
        "Name it domain.NameController",
      );
    }
    if (this.#entries.has(controller.name)) {
      throw new SteleError(
        "already-exists",
        `Cannot register controller ${JSON.stringify(controller.name)}: the name is taken`,
        "Give every controller a unique name",
      );
    }
    for (const output of controller.outputs) {
      for (const other of this.#entries.values()) {
        const clash = other.controller.outputs.find((o) => o.type.type === output.type.type);
        if (!clash || (clash.kind === "shared" && output.kind === "shared")) continue;
        const exclusive = clash.kind === "exclusive" ? other.controller.name : controller.name;
        throw new SteleError(
          "already-exists",
          `Cannot register controller ${JSON.stringify(controller.name)}: ${output.type.type} is an output of ` +
            `controller ${JSON.stringify(other.controller.name)}, and ${JSON.stringify(exclusive)} declares it exclusive`,
          "Let one controller write the type, or declare it shared in both",
        );
      }
    }
    for (const { type } of [...controller.inputs, ...controller.outputs]) this.#store.registerType(type);
    const entry: Entry = {
      controller,
      state: "registered",
      failures: 0,
      lastError: undefined,
      backoffMs: undefined,
      loop: undefined,
    };
    this.#entries.set(controller.name, entry);
    if (this.#state === "running") entry.loop = this.#runLoop(entry);
  }

  /** Starts every registered controller; idempotent. */
  start(): void {
    if (this.#state === "stopped") {
      throw new SteleError(
        "failed-precondition",
        "Cannot start the controller runtime: it is stopped",
        "Create a new ControllerRuntime",
      );
    }
    if (this.#state === "running") return;
    this.#state = "running";
    for (const entry of this.#entries.values()) entry.loop = this.#runLoop(entry);
  }

  /**
   * Aborts every controller and waits until all have returned (or `stopTimeoutMs` passed); pending
   * backoff waits are cancelled, so no timer of the runtime outlives this promise. Idempotent.
   */
  async stop(): Promise<void> {
    this.#state = "stopped";
    this.#abort.abort();
    const loops = [...this.#entries.values()].flatMap((e) => (e.loop ? [e.loop] : []));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#stopTimeoutMs);
    });
    const outcome = await Promise.race([Promise.allSettled(loops), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      const stuck = [...this.#entries.values()]
        .filter((e) => e.state === "running")
        .map((e) => e.controller.name);
      this.#logger.error({ controllers: stuck }, "Controllers did not stop when asked; leaving them behind");
    }
  }

  /** The same as `stop()`: the runtime holds loops, and everything that holds something has `close()`. */
  close(): Promise<void> {
    return this.stop();
  }

  /** Every controller's state and failure count, by name. */
  status(): ControllerStatus[] {
    return [...this.#entries.values()]
      .map((e) => ({
        name: e.controller.name,
        state: e.state,
        failures: e.failures,
        lastError: e.lastError,
        backoffMs: e.backoffMs,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Controllers, resource types and the input/output edges between them. */
  dependencyGraph(): DependencyGraph {
    return buildDependencyGraph([...this.#entries.values()].map((e) => e.controller));
  }

  /** The dependency graph as Graphviz dot: `… | dot -Tsvg` draws what machined runs. */
  formatGraphDot(): string {
    return formatGraphDot(this.dependencyGraph());
  }

  async #runLoop(entry: Entry): Promise<void> {
    const { controller } = entry;
    const signal = this.#abort.signal;
    const log = withFields(this.#logger, { controller: controller.name });
    let attempt = 0;
    while (!signal.aborted) {
      const run = new AbortController();
      const adapter = createControllerAdapter({ store: this.#store, controller, runSignal: run.signal });
      const started = this.#clock.now();
      entry.state = "running";
      entry.backoffMs = undefined;
      let failure: { error: unknown } | undefined;
      try {
        await controller.run(adapter, log, signal);
      } catch (error) {
        failure = { error };
      } finally {
        // Ends ticks and refuses writes from anything the run left behind (a forgotten promise).
        run.abort();
      }
      if (signal.aborted) {
        if (failure) log.debug({ err: failure.error }, "Controller failed while stopping");
        break;
      }
      if (!failure) {
        entry.state = "finished";
        log.info({}, "Controller finished");
        return;
      }
      if (this.#clock.now() - started >= this.#backoff.resetAfterMs) attempt = 0;
      const delay = backoffDelay(attempt++, this.#backoff);
      entry.failures++;
      entry.lastError = failure.error instanceof Error ? failure.error.message : String(failure.error);
      entry.state = "backoff";
      entry.backoffMs = delay;
      log.error(
        { err: failure.error, failures: entry.failures, restartInMs: delay },
        `Controller failed: ${entry.lastError}`,
      );
      await this.#clock.sleep(delay, signal);
    }
    entry.state = "stopped";
  }
}
