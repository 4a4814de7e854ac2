import { setTimeout as sleep } from "node:timers/promises";

/**
 * Time as the controller runtime sees it. An interface so that tests of restart backoff run on a
 * fake clock in microseconds instead of waiting out real delays.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  /** Resolves after `ms`, or early (without error) when the signal aborts; leaves no timer behind. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()`, which wall-clock jumps (NTP, RTC set at boot) do not move. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await sleep(ms, undefined, { signal });
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  },
});
