import { formatDuration } from "../../../machinery/duration.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { backoffDelay } from "./backoff.ts";
import { type CheckedService, checkService } from "./check-service.ts";
import { type Clock, sleep, systemClock } from "./clock.ts";
import { dependantClosure, dependencyClosure, orderByDependencies } from "./dependency-graph.ts";
import { describeExit } from "./describe-exit.ts";
import { EventHub } from "./event-hub.ts";
import type { LogSink, RunExit, RunHandle } from "./runner.ts";
import type { Service } from "./service.ts";
import type { ServiceEvent } from "./service-event.ts";
import type { ServiceState } from "./service-state.ts";
import type { ServiceStatus } from "./service-status.ts";
import { watchHealth } from "./watch-health.ts";

/** Events kept per service for `list()`: enough to explain a crash loop, small enough for dozens of services. */
const HISTORY_SIZE = 20;

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** Time for event stamps, backoff and health timers; tests pass a `ManualClock`. */
  clock?: Clock;
  /** Where each service's output goes; output is dropped when left out. */
  logs?: (serviceId: string) => LogSink;
  /** Undelivered events an `events()` consumer may have before it is cut off; see `EventHub`. */
  eventBuffer?: number;
}

interface Loop {
  readonly controller: AbortController;
  /** Settles when the loop has ended; with the exit of the process it stopped, if it stopped one. */
  readonly done: Promise<RunExit | undefined>;
}

interface Slot extends CheckedService {
  state: ServiceState;
  healthy: boolean | undefined;
  message: string;
  since: number;
  restartCount: number;
  pid: number | undefined;
  history: ServiceEvent[];
  /** Set while the service is wanted (started and not stopped), even once its loop has ended. */
  loop: Loop | undefined;
  /** start/stop/restart of this service, one after the other. */
  queue: Promise<unknown>;
}

/** How a run ended, for the restart policy to judge. */
interface Outcome {
  readonly ok: boolean;
  readonly message: string;
  readonly exit?: RunExit;
}

/** How one attempt to run a service ended. */
type Attempt =
  | { readonly kind: "aborted"; readonly exit: RunExit | undefined }
  | { readonly kind: "skipped" }
  | { readonly kind: "ended"; readonly outcome: Outcome; readonly uptimeMs: number };

const DISCARD: LogSink = { write: () => {} };

/**
 * machined's service supervisor: starts services once their dependencies are up, restarts them
 * by policy with exponential backoff, health-checks them, and stops them dependants first. Its
 * state is observable through `list()` (a snapshot) and `events()` (every transition), which the
 * daemon bridges to resources and the API.
 *
 * Invariant kept by the API: a wanted service's dependencies are wanted too, since `start` also
 * starts dependencies and `stop` also stops dependants. A crash is not a stop: dependants of a
 * crashed service keep running while it restarts, as they would across a daemon's own restart.
 */
export class Supervisor {
  readonly #clock: Clock;
  readonly #logs: (serviceId: string) => LogSink;
  readonly #hub = new EventHub<ServiceEvent>();
  readonly #eventBuffer: number | undefined;
  readonly #slots = new Map<string, Slot>();
  /** Woken at every event: dependants waiting for a dependency, `waitFor` callers. */
  readonly #changeWaiters = new Set<() => void>();
  #closing: Promise<void> | undefined;

  constructor(options: SupervisorOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#logs = options.logs ?? (() => DISCARD);
    this.#eventBuffer = options.eventBuffer;
  }

  /**
   * Adds services, or replaces the definitions of loaded services that are stopped. All or
   * nothing: an invalid definition, an unknown dependency or a cycle (named in the error) rejects
   * the whole call and changes nothing.
   */
  load(services: readonly Service[]): void {
    this.#assertOpen();
    const checked = services.map(checkService);
    const seen = new Set<string>();
    for (const { service } of checked) {
      if (seen.has(service.id)) {
        throw new SteleError(
          "already-exists",
          `Duplicate service: ${JSON.stringify(service.id)} is defined twice`,
          "Give every service a unique id",
        );
      }
      seen.add(service.id);
      if (this.#slots.get(service.id)?.loop) {
        throw new SteleError(
          "failed-precondition",
          `Cannot replace service ${JSON.stringify(service.id)}: it is started`,
          "Stop the service first, then load its new definition and start it again",
        );
      }
    }
    const merged = new Map<string, Service>([...this.#slots].map(([id, slot]) => [id, slot.service]));
    for (const { service } of checked) merged.set(service.id, service);
    orderByDependencies([...merged.values()]);
    for (const entry of checked) {
      const slot = this.#slots.get(entry.service.id);
      if (slot) {
        Object.assign(slot, entry);
      } else {
        this.#slots.set(entry.service.id, {
          ...entry,
          state: "stopped",
          healthy: undefined,
          message: "",
          since: this.#clock.now(),
          restartCount: 0,
          pid: undefined,
          history: [],
          loop: undefined,
          queue: Promise.resolve(),
        });
      }
      this.#emit(this.#slots.get(entry.service.id)!, { state: "stopped", message: "Loaded" });
    }
  }

  /**
   * Starts a service, and first the dependencies it needs that are not started. Returns once the
   * services are launched, not once they run: follow `events()` or use `waitFor`. Starting a
   * service that is started (even one waiting out a backoff) does nothing; `restart` does.
   */
  async start(id: string): Promise<void> {
    this.#assertOpen();
    this.#slot(id);
    await this.#launch(dependencyClosure(this.#graph(), [id]));
  }

  /** Starts every loaded service; each waits for its own dependencies, so independent ones start in parallel. */
  async startAll(): Promise<void> {
    this.#assertOpen();
    await this.#launch(new Set(this.#slots.keys()));
  }

  /**
   * Stops a service and, before it, every service that depends on it. Dependants stop before
   * their dependencies, independent ones in parallel. Resolves once all of them are stopped.
   */
  async stop(id: string): Promise<void> {
    this.#assertOpen();
    this.#slot(id);
    await this.#halt(dependantClosure(this.#graph(), [id]));
  }

  /** Stops every service, in reverse dependency order, in parallel where independent. */
  async stopAll(): Promise<void> {
    this.#assertOpen();
    await this.#halt(new Set(this.#slots.keys()));
  }

  /**
   * Stops the service's current run and starts a fresh one at once, with the backoff and restart
   * count reset. Dependants are left running, as across a crash. A stopped service is started.
   */
  async restart(id: string): Promise<void> {
    this.#assertOpen();
    const slot = this.#slot(id);
    const restarted = await this.#enqueue(slot, async () => {
      if (!slot.loop) return false;
      await this.#end(slot, "Stopped for a restart");
      this.#begin(slot);
      return true;
    });
    // A service that was not started needs its dependencies started too, which is what start does.
    if (!restarted) await this.start(id);
  }

  /** Every loaded service as it is now, in load order. */
  list(): ServiceStatus[] {
    return [...this.#slots.values()].map(statusOf);
  }

  /**
   * Every event from now on, until `signal` aborts or the supervisor closes. The subscription is
   * registered before this returns, so `events()` then `list()` gives a snapshot and the changes
   * after it with nothing missed. A consumer that falls too far behind gets a `busy` error after
   * the events it had buffered, never a silent gap.
   */
  events(signal?: AbortSignal): AsyncIterableIterator<ServiceEvent> {
    return this.#hub.subscribe({ signal, buffer: this.#eventBuffer });
  }

  /**
   * Resolves once `condition` holds for the service's status, checking now and after each event;
   * rejects when `signal` aborts first, saying where the service stands. What the boot sequence
   * uses to wait until etcd is healthy.
   */
  async waitFor(
    id: string,
    condition: (status: ServiceStatus) => boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const slot = this.#slot(id);
    for (;;) {
      const status = statusOf(slot);
      if (condition(status)) return;
      if (signal.aborted) {
        throw new SteleError(
          "unavailable",
          `Gave up waiting for service ${JSON.stringify(id)}: it is ${status.state}${status.message ? ` (${status.message})` : ""}`,
          `Look at its events and logs: stelectl services ${id}; stelectl logs ${id}`,
          { cause: signal.reason },
        );
      }
      await this.#nextChange(signal);
    }
  }

  /** Stops every service, ends every event subscription, and refuses further calls. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#halt(new Set(this.#slots.keys()));
      this.#hub.close();
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing) {
      throw new SteleError(
        "failed-precondition",
        "Supervisor is closed: it no longer starts or stops services",
        "Create a new Supervisor; close() is for shutdown",
      );
    }
  }

  #slot(id: string): Slot {
    const slot = this.#slots.get(id);
    if (!slot) {
      throw new SteleError(
        "not-found",
        `Unknown service: ${JSON.stringify(id)}`,
        `Loaded services are: ${[...this.#slots.keys()].join(", ") || "none"}`,
      );
    }
    return slot;
  }

  #graph(): Map<string, Service> {
    return new Map([...this.#slots].map(([id, slot]) => [id, slot.service]));
  }

  #enqueue<T>(slot: Slot, operation: () => Promise<T> | T): Promise<T> {
    const result = slot.queue.then(operation);
    slot.queue = result.catch(() => {});
    return result;
  }

  async #launch(ids: Set<string>): Promise<void> {
    // In dependency order, so that events read in the order services become able to start.
    const order = orderByDependencies([...this.#slots.values()].map((slot) => slot.service));
    await Promise.all(
      order
        .filter((id) => ids.has(id))
        .map((id) => {
          const slot = this.#slot(id);
          return this.#enqueue(slot, () => {
            if (!slot.loop) this.#begin(slot);
          });
        }),
    );
  }

  /** Stops `ids`, each once all of its dependants among them have stopped. */
  async #halt(ids: Set<string>): Promise<void> {
    const stopping = new Map<string, Promise<void>>();
    const stopOne = (id: string): Promise<void> => {
      let done = stopping.get(id);
      if (done) return done;
      const dependants = [...ids].filter((other) => this.#slot(other).service.dependsOn?.includes(id));
      const slot = this.#slot(id);
      done = Promise.all(dependants.map(stopOne)).then(() =>
        this.#enqueue(slot, () => this.#end(slot, "Stopped")),
      );
      stopping.set(id, done);
      return done;
    };
    await Promise.all([...ids].map(stopOne));
  }

  #begin(slot: Slot): void {
    const controller = new AbortController();
    slot.restartCount = 0;
    slot.loop = { controller, done: this.#run(slot, controller.signal) };
  }

  /** Ends the service's loop (stopping its process) and reports it stopped; nothing if it was not started. */
  async #end(slot: Slot, message: string): Promise<void> {
    const loop = slot.loop;
    if (!loop) return;
    loop.controller.abort();
    const exit = await loop.done;
    slot.loop = undefined;
    this.#emit(slot, {
      state: "stopped",
      message: exit ? `${message}: process ${describeExit(exit)}` : message,
      exit,
    });
  }

  /**
   * The life of a started service: attempts, and after each one that ends, a restart by policy
   * after the backoff delay. Ends when the policy says so or when `signal` aborts, returning how
   * the process it then stopped ended.
   */
  async #run(slot: Slot, signal: AbortSignal): Promise<RunExit | undefined> {
    const { service } = slot;
    let streak = 0;
    try {
      while (!signal.aborted) {
        const attempt = await this.#attempt(slot, signal);
        if (attempt.kind === "aborted") return attempt.exit;
        if (attempt.kind === "skipped") return undefined;
        const { outcome } = attempt;
        if (attempt.uptimeMs >= slot.backoff.resetAfterMs) streak = 0;
        const state = outcome.ok ? "finished" : "failed";
        const policy = service.restart;
        if (policy === "never" || (policy === "on-failure" && outcome.ok)) {
          this.#emit(slot, { state, message: outcome.message, exit: outcome.exit });
          return undefined;
        }
        streak++;
        const delay = backoffDelay(slot.backoff, streak);
        slot.restartCount++;
        this.#emit(slot, {
          state,
          message: `${outcome.message}: restarting in ${formatDuration(delay)}`,
          exit: outcome.exit,
          nextDelayMs: delay,
        });
        if (!(await sleep(this.#clock, delay, signal))) return undefined;
      }
      return undefined;
    } catch (error) {
      // Only a defect of the supervisor or a runner gets here; say so instead of hanging in a state.
      this.#emit(slot, { state: "failed", message: `Supervisor error: ${messageOf(error)}` });
      return undefined;
    }
  }

  /**
   * One attempt: skip check, wait for dependencies, prepare, start, and run with health checks
   * until the process ends. Every failure of a step is an outcome the restart policy judges.
   */
  async #attempt(slot: Slot, signal: AbortSignal): Promise<Attempt> {
    const { service } = slot;
    const aborted: Attempt = { kind: "aborted", exit: undefined };
    const failed = (message: string): Attempt => ({
      kind: "ended",
      outcome: { ok: false, message },
      uptimeMs: 0,
    });
    try {
      const reason = await untilAborted((async () => service.skip?.(signal))(), signal);
      if (signal.aborted) return aborted;
      if (reason !== undefined) {
        this.#emit(slot, { state: "skipped", message: `Skipped: ${reason}` });
        return { kind: "skipped" };
      }
    } catch (error) {
      return failed(`Cannot tell whether to skip: ${messageOf(error)}`);
    }
    if (!(await this.#waitForDependencies(slot, signal))) return aborted;

    this.#emit(slot, { state: "preparing", message: "Preparing" });
    try {
      await untilAborted((async () => service.prepare?.(signal))(), signal);
    } catch (error) {
      if (!signal.aborted) return failed(`Preparation failed: ${messageOf(error)}`);
    }
    if (signal.aborted) return aborted;

    let handle: RunHandle;
    try {
      // Not raced against the signal: a start that completed after we gave up would leave a process behind.
      handle = await service.runner.start({ serviceId: service.id, log: this.#logs(service.id), signal });
    } catch (error) {
      return signal.aborted ? aborted : failed(`Failed to start: ${messageOf(error)}`);
    }
    if (signal.aborted) return { kind: "aborted", exit: await this.#stopRun(slot, handle) };

    const startedAt = this.#clock.now();
    const { pid } = handle;
    this.#emit(slot, {
      state: "running",
      message: pid === undefined ? "Started" : `Started: pid ${pid}`,
      pid,
    });
    const health = new AbortController();
    const watching = service.health
      ? watchHealth(service.health, {
          clock: this.#clock,
          signal: health.signal,
          onResult: (healthy, message) => {
            if (healthy !== slot.healthy) this.#emit(slot, { state: "running", healthy, message, pid });
          },
        })
      : Promise.resolve();
    const exit = await untilAborted(handle.exited, signal);
    health.abort();
    await watching;
    if (exit === undefined) return { kind: "aborted", exit: await this.#stopRun(slot, handle) };
    return {
      kind: "ended",
      outcome: { ok: exit.code === 0, message: `Process ${describeExit(exit)}`, exit },
      uptimeMs: this.#clock.now() - startedAt,
    };
  }

  async #stopRun(slot: Slot, handle: RunHandle): Promise<RunExit> {
    const timeoutMs = slot.stopTimeoutMs;
    this.#emit(slot, {
      state: "stopping",
      message: `Stopping: SIGTERM, then SIGKILL after ${formatDuration(timeoutMs)}`,
      pid: handle.pid,
    });
    return handle.stop({ timeoutMs });
  }

  /** Waits until every dependency is up; false when `signal` aborted first. */
  async #waitForDependencies(slot: Slot, signal: AbortSignal): Promise<boolean> {
    let announced: string | undefined;
    for (;;) {
      if (signal.aborted) return false;
      const pending = (slot.service.dependsOn ?? []).filter((id) => !this.#isUp(id));
      if (pending.length === 0) return true;
      const message = `Waiting for ${pending.length === 1 ? "service" : "services"}: ${pending.join(", ")}`;
      if (message !== announced) {
        this.#emit(slot, { state: "waiting", message });
        announced = message;
      }
      await this.#nextChange(signal);
    }
  }

  /** Up: running and healthy (or without a health check), or skipped on this machine. */
  #isUp(id: string): boolean {
    const slot = this.#slot(id);
    if (slot.state === "skipped") return true;
    return slot.state === "running" && (slot.service.health === undefined || slot.healthy === true);
  }

  #nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#changeWaiters.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.#changeWaiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  #emit(
    slot: Slot,
    change: {
      state: ServiceState;
      message: string;
      healthy?: boolean;
      pid?: number | undefined;
      exit?: RunExit | undefined;
      nextDelayMs?: number;
    },
  ): void {
    slot.state = change.state;
    slot.healthy = change.state === "running" ? change.healthy : undefined;
    slot.message = change.message;
    slot.since = this.#clock.now();
    slot.pid = change.pid;
    const event: ServiceEvent = {
      service: slot.service.id,
      state: change.state,
      ...(slot.healthy === undefined ? {} : { healthy: slot.healthy }),
      message: change.message,
      time: slot.since,
      restartCount: slot.restartCount,
      ...(change.pid === undefined ? {} : { pid: change.pid }),
      ...(change.exit === undefined ? {} : { exit: change.exit }),
      ...(change.nextDelayMs === undefined ? {} : { nextDelayMs: change.nextDelayMs }),
    };
    slot.history.push(event);
    if (slot.history.length > HISTORY_SIZE) slot.history.shift();
    this.#hub.publish(event);
    for (const wake of [...this.#changeWaiters]) wake();
  }
}

function statusOf(slot: Slot): ServiceStatus {
  return {
    id: slot.service.id,
    dependsOn: [...(slot.service.dependsOn ?? [])],
    state: slot.state,
    healthy: slot.healthy,
    message: slot.message,
    since: slot.since,
    restartCount: slot.restartCount,
    pid: slot.pid,
    events: [...slot.history],
  };
}

/** Settles like `promise`, or with undefined as soon as `signal` aborts, leaving no listener behind. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
