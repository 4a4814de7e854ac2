/** How `createChangeTicks` learns of changes and when it stops. */
export interface ChangeTicksOptions {
  /** Starts listening: calls `wake` on every change; returns the function that stops listening. */
  subscribe: (wake: () => void) => () => void;
  /** The ticks end when any of these aborts. */
  signals: readonly AbortSignal[];
}

/**
 * An async iterator of change ticks: one at once, then one whenever `wake` was called since the
 * last tick was taken. A dirty flag rather than a queue, so a burst of a thousand changes while the
 * controller reconciles is one more tick, and nothing can pile up however slow the consumer is.
 */
export function createChangeTicks(options: ChangeTicksOptions): AsyncIterableIterator<void> {
  let dirty = true;
  let done = false;
  let waiter: ((result: IteratorResult<void>) => void) | undefined;
  const DONE: IteratorResult<void> = { value: undefined, done: true };
  const TICK: IteratorResult<void> = { value: undefined, done: false };

  let scheduled = false;

  /** Hands a pending change to a waiting consumer, a microtask late so a synchronous burst is one tick. */
  function flush(): void {
    scheduled = false;
    if (!waiter || !dirty || done) return;
    const resolve = waiter;
    waiter = undefined;
    dirty = false;
    resolve(TICK);
  }

  const unsubscribe = options.subscribe(() => {
    if (done) return;
    dirty = true;
    if (waiter && !scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  });

  function stop(): void {
    if (done) return;
    done = true;
    unsubscribe();
    for (const signal of options.signals) signal.removeEventListener("abort", stop);
    if (waiter) {
      const resolve = waiter;
      waiter = undefined;
      resolve(DONE);
    }
  }

  const ticks: AsyncIterableIterator<void> = {
    next() {
      if (done) return Promise.resolve(DONE);
      if (dirty) {
        dirty = false;
        return Promise.resolve(TICK);
      }
      return new Promise((resolve) => {
        waiter = resolve;
      });
    },
    return() {
      stop();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return ticks;
    },
  };

  if (options.signals.some((s) => s.aborted)) stop();
  else for (const signal of options.signals) signal.addEventListener("abort", stop, { once: true });
  return ticks;
}
