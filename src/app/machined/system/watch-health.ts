import { type Clock, sleep } from "./clock.ts";
import type { HealthCheck } from "./health-check.ts";

/** Options of {@link watchHealth}. */
export interface WatchHealthOptions {
  clock: Clock;
  /** Ends the watch; aborted when the run ends or the service is stopped. */
  signal: AbortSignal;
  /** Told the outcome of every check: whether it passed, and why not when it did not. */
  onResult(healthy: boolean, message: string): void;
}

/**
 * Runs `check` for as long as a run lasts: after `initialDelayMs`, then `intervalMs` after each
 * check ends (so a slow check never overlaps the next). A check that throws or outlives
 * `timeoutMs` is a failure; nothing is reported once `signal` aborts, so a stopped service never
 * turns healthy after the fact.
 */
export async function watchHealth(check: HealthCheck, options: WatchHealthOptions): Promise<void> {
  const { clock, signal } = options;
  if (!(await sleep(clock, check.initialDelayMs, signal))) return;
  while (!signal.aborted) {
    const failure = await probe(check, clock, signal);
    if (signal.aborted) return;
    options.onResult(failure === undefined, failure ?? "Health check passed");
    if (!(await sleep(clock, check.intervalMs, signal))) return;
  }
}

/** One check with its timeout; resolves with why it failed, or undefined when it passed. */
async function probe(check: HealthCheck, clock: Clock, signal: AbortSignal): Promise<string | undefined> {
  const controller = new AbortController();
  let release: (() => void) | undefined;
  const onAbort = (): void => {
    controller.abort(signal.reason);
    release?.();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer within ${check.timeoutMs} ms`));
    release?.();
  }, check.timeoutMs);
  // Raced against the check so that a check which ignores its signal cannot stall the watch or a stop.
  const expired = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    await Promise.race([check.check(controller.signal), expired]);
    return timedOut ? `Health check timed out: no answer within ${check.timeoutMs} ms` : undefined;
  } catch (error) {
    if (timedOut) return `Health check timed out: no answer within ${check.timeoutMs} ms`;
    return `Health check failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clock.clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}
