import type { Clock, ClockTimer } from "./clock.ts";

interface PendingTimer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when a test says so. `advance` fires due timers in time order and lets
 * the promise continuations they trigger run before the next one fires, so code that sleeps,
 * wakes and sleeps again behaves as it would in real time, only without the waiting.
 */
export class ManualClock implements Clock {
  #now: number;
  #order = 0;
  readonly #timers = new Map<object, PendingTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const timer = {};
    this.#timers.set(timer, { at: this.#now + Math.max(0, ms), order: this.#order++, callback });
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    this.#timers.delete(timer);
  }

  /** How many timers are set and not yet fired or cleared; 0 after a clean shutdown. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Delays of the pending timers from now, soonest first; what a test asserts a backoff against. */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((timer) => timer.at - this.#now).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order, including timers set
   * by the code those timers woke up.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue(until);
      if (next === undefined) break;
      const [key, timer] = next;
      this.#timers.delete(key);
      this.#now = timer.at;
      timer.callback();
      await settle();
    }
    this.#now = until;
  }

  #nextDue(until: number): [object, PendingTimer] | undefined {
    let best: [object, PendingTimer] | undefined;
    for (const entry of this.#timers) {
      const timer = entry[1];
      if (timer.at > until) continue;
      if (!best || timer.at < best[1].at || (timer.at === best[1].at && timer.order < best[1].order))
        best = entry;
    }
    return best;
  }
}

/** Lets every pending promise continuation run: a macrotask comes after all queued microtasks. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
