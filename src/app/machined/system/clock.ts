/** A timer a {@link Clock} handed out, to cancel it. Opaque on purpose: real and manual clocks differ. */
export type ClockTimer = object;

/**
 * Time as the supervisor sees it: the wall clock for event times and timers for backoff, health
 * intervals and timeouts. Injected so that tests drive backoff sequences exactly and instantly
 * (see `ManualClock`) instead of sleeping through them.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

/** The real clock: `Date.now` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Waits `ms` on `clock`; resolves `true` when the time has passed and `false` as soon as `signal`
 * aborts. Resolving rather than rejecting on abort lets loops end with a plain `if`, and the timer
 * is cleared on abort so that nothing is left behind after a stop.
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
