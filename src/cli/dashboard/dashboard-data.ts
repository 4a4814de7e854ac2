import { setTimeout as sleep } from "node:timers/promises";
import { isSteleError } from "../../machinery/errors.ts";
import type { DashboardSource, NodeSummary, ServiceRow, StatsSample } from "./dashboard-source.ts";
import { type StatsPoint, statsPoint } from "./stats-point.ts";

/** How many points the Monitor graphs keep: a minute at the default interval. */
export const KEPT_POINTS = 60;
/** How many lines of a service's log are asked for when it is opened. */
export const LOG_TAIL = 200;
/** How many log lines are kept; older ones are dropped so a chatty service cannot fill memory. */
export const KEPT_LOG_LINES = 500;

/** Everything the screens show of one node; a new object on every change, for React. */
export interface NodeView {
  node: string;
  summary: NodeSummary | undefined;
  summaryError: string | undefined;
  /** Oldest first, at most KEPT_POINTS. */
  points: readonly StatsPoint[];
  statsError: string | undefined;
  services: readonly ServiceRow[] | undefined;
  servicesError: string | undefined;
  /** The service whose log is followed, if any. */
  logService: string | undefined;
  logLines: readonly string[];
  logError: string | undefined;
}

/** Options of DashboardData; the defaults are the dashboard's. */
export interface DashboardDataOptions {
  /** Time between two stats samples. */
  intervalMs?: number;
  /** Time between two ServiceList calls. */
  servicesEveryMs?: number;
  /** Time between two refreshes of the summary. */
  summaryEveryMs?: number;
  /** Wait before reopening a stats stream that failed. */
  retryMs?: number;
}

/**
 * The dashboard's data layer: per node it polls the summary and the service list, follows the
 * stats stream (differencing samples into points) and the log of the selected service, and keeps
 * the result as immutable NodeViews that screens subscribe to. One node failing only fills that
 * node's error fields. `close()` aborts every stream and timer.
 */
export class DashboardData {
  readonly #source: DashboardSource;
  readonly #options: Required<DashboardDataOptions>;
  readonly #views = new Map<string, NodeView>();
  readonly #lastSample = new Map<string, StatsSample>();
  readonly #logs = new Map<string, AbortController>();
  readonly #listeners = new Set<() => void>();
  readonly #controller = new AbortController();
  #started = false;

  constructor(source: DashboardSource, options: DashboardDataOptions = {}) {
    this.#source = source;
    this.#options = {
      intervalMs: options.intervalMs ?? 1000,
      servicesEveryMs: options.servicesEveryMs ?? 2000,
      summaryEveryMs: options.summaryEveryMs ?? 10_000,
      retryMs: options.retryMs ?? 3000,
    };
    for (const node of source.nodes) this.#views.set(node, emptyView(node));
  }

  /** Starts polling and streaming every node; calling it again does nothing. */
  start(): void {
    if (this.#started || this.#controller.signal.aborted) return;
    this.#started = true;
    for (const node of this.#source.nodes) {
      void this.#poll(
        this.#options.summaryEveryMs,
        async (signal) => {
          const summary = await this.#source.summary(node, signal);
          this.#update(node, { summary, summaryError: undefined });
        },
        (error) => this.#update(node, { summaryError: error }),
      );
      void this.#poll(
        this.#options.servicesEveryMs,
        async (signal) => {
          const services = await this.#source.services(node, signal);
          this.#update(node, { services, servicesError: undefined });
        },
        (error) => this.#update(node, { servicesError: error }),
      );
      void this.#watchStats(node);
    }
  }

  /** The current view of `node`. */
  view(node: string): NodeView {
    return this.#views.get(node) ?? emptyView(node);
  }

  /** Calls `listener` after every change; returns the function that stops it (useSyncExternalStore's shape). */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Follows the log of `service` on `node` (its last LOG_TAIL lines first), ending the one followed before. */
  followLogs(node: string, service: string): void {
    if (this.#controller.signal.aborted) return;
    this.#logs.get(node)?.abort();
    const controller = new AbortController();
    this.#logs.set(node, controller);
    const signal = AbortSignal.any([controller.signal, this.#controller.signal]);
    this.#update(node, { logService: service, logLines: [], logError: undefined });
    this.#source
      .followLogs(node, { service, tail: LOG_TAIL, signal }, (lines) => {
        if (signal.aborted || lines.length === 0) return;
        const kept = [...this.view(node).logLines, ...lines];
        this.#update(node, { logLines: kept.slice(Math.max(0, kept.length - KEPT_LOG_LINES)) });
      })
      .catch((error: unknown) => {
        if (!signal.aborted) this.#update(node, { logError: errorText(error) });
      });
  }

  /** Ends every stream and poll; the views stay as they were. */
  close(): void {
    this.#controller.abort();
    this.#listeners.clear();
  }

  async #poll(
    everyMs: number,
    load: (signal: AbortSignal) => Promise<void>,
    fail: (error: string) => void,
  ): Promise<void> {
    const signal = this.#controller.signal;
    while (!signal.aborted) {
      try {
        await load(signal);
      } catch (error) {
        if (signal.aborted) return;
        fail(errorText(error));
      }
      if (!(await pause(everyMs, signal))) return;
    }
  }

  async #watchStats(node: string): Promise<void> {
    const signal = this.#controller.signal;
    while (!signal.aborted) {
      try {
        await this.#source.watchStats(node, { intervalMs: this.#options.intervalMs, signal }, (sample) =>
          this.#addSample(node, sample),
        );
      } catch (error) {
        if (signal.aborted) return;
        this.#update(node, { statsError: errorText(error) });
      }
      // The stream ended (the node rebooted, apid restarted): reopen it after a pause.
      if (!(await pause(this.#options.retryMs, signal))) return;
    }
  }

  #addSample(node: string, sample: StatsSample): void {
    const previous = this.#lastSample.get(node);
    this.#lastSample.set(node, sample);
    if (previous === undefined) return;
    const points = [...this.view(node).points, statsPoint(previous, sample)];
    this.#update(node, {
      points: points.slice(Math.max(0, points.length - KEPT_POINTS)),
      statsError: undefined,
    });
  }

  #update(node: string, change: Partial<NodeView>): void {
    if (this.#controller.signal.aborted) return;
    this.#views.set(node, { ...this.view(node), ...change });
    for (const listener of this.#listeners) listener();
  }
}

function emptyView(node: string): NodeView {
  return {
    node,
    summary: undefined,
    summaryError: undefined,
    points: [],
    statsError: undefined,
    services: undefined,
    servicesError: undefined,
    logService: undefined,
    logLines: [],
    logError: undefined,
  };
}

/** Waits `ms`; false when `signal` aborted meanwhile. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** An error as one line for a screen: the message, then the hint when there is one. */
export function errorText(error: unknown): string {
  if (isSteleError(error)) return error.hint ? `${error.message} (${error.hint})` : error.message;
  return error instanceof Error ? error.message : String(error);
}
