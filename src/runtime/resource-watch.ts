import { SteleError } from "../machinery/errors.ts";
import type { WatchEvent } from "./resource.ts";

/**
 * A live stream of watch events. It is subscribed from the moment `ResourceStore.watch` returns (not
 * from the first `next()`), so nothing committed in between is lost. It ends when its signal aborts,
 * when the consumer leaves its `for await` loop, on `close()`, when the store closes, or after an
 * `errored` event. One consumer only: iterating it twice shares one queue.
 */
export interface ResourceWatch<T> extends AsyncIterableIterator<WatchEvent<T>> {
  /** Ends the watch now and drops what is queued; idempotent. */
  close(): void;
}

/** The store's side of a watch: how events get in, and how the watch tells the store it is gone. */
export interface WatchFeed<T> {
  readonly watch: ResourceWatch<T>;
  /** Queues a live event; on overflow queues `errored` instead and ends the watch. */
  deliver(event: WatchEvent<T>): void;
  /** Ends the watch after what is already queued (used when the store closes). */
  end(): void;
}

/** How `createWatchFeed` is set up by the store. */
export interface WatchFeedOptions<T> {
  /** Events to yield before live ones (the initial listing or replayed history); not counted in `capacity`. */
  prefix: readonly WatchEvent<T>[];
  /** Most live events held for a consumer that has not taken them yet. */
  capacity: number;
  signal: AbortSignal;
  /** Called once when the watch ends for any reason, so the store drops its subscription. */
  onEnd: () => void;
}

/**
 * Creates a watch with a bounded queue. Bounded because a watch is fed by every write of the store,
 * synchronously, while its consumer may be a remote client on a slow link: an unbounded queue would
 * let that client make PID 1 run out of memory. A consumer that falls `capacity` events behind gets
 * the events queued so far, then one `errored` event, then the end; it re-watches to resync.
 */
export function createWatchFeed<T>(options: WatchFeedOptions<T>): WatchFeed<T> {
  const { prefix, capacity, signal, onEnd } = options;
  let prefixIndex = 0;
  let queue: WatchEvent<T>[] = [];
  let head = 0;
  /** No more events will be queued (but queued ones are still yielded). */
  let ended = false;
  /** The consumer is gone: nothing more is yielded. */
  let closed = false;
  let waiter: ((result: IteratorResult<WatchEvent<T>>) => void) | undefined;

  const DONE: IteratorResult<WatchEvent<T>> = { value: undefined, done: true };

  function finish(): void {
    if (ended) return;
    ended = true;
    signal.removeEventListener("abort", close);
    onEnd();
    if (waiter && queue.length === head) {
      const resolve = waiter;
      waiter = undefined;
      resolve(DONE);
    }
  }

  function close(): void {
    closed = true;
    queue = [];
    head = 0;
    finish();
    if (waiter) {
      const resolve = waiter;
      waiter = undefined;
      resolve(DONE);
    }
  }

  function deliver(event: WatchEvent<T>): void {
    if (ended) return;
    if (waiter) {
      // A waiting consumer has drained the prefix and the queue: hand the event over directly.
      const resolve = waiter;
      waiter = undefined;
      resolve({ value: event, done: false });
      return;
    }
    if (queue.length - head >= capacity) {
      queue.push({
        kind: "errored",
        error: new SteleError(
          "unavailable",
          `Watch fell behind: more than ${capacity} events waited to be read`,
          'Read events faster, or watch again with tailEvents: "bootstrapped" to start from the current state',
        ),
      });
      finish();
      return;
    }
    queue.push(event);
  }

  function take(): WatchEvent<T> | undefined {
    if (prefixIndex < prefix.length) return prefix[prefixIndex++];
    if (head < queue.length) {
      const event = queue[head++]!;
      // Compact, so a long-lived watch does not keep every event it ever yielded.
      if (head === queue.length) {
        queue = [];
        head = 0;
      } else if (head >= 1024 && head * 2 >= queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      return event;
    }
    return undefined;
  }

  const watch: ResourceWatch<T> = {
    next(): Promise<IteratorResult<WatchEvent<T>>> {
      if (closed) return Promise.resolve(DONE);
      const event = take();
      if (event) return Promise.resolve({ value: event, done: false });
      if (ended) return Promise.resolve(DONE);
      if (waiter) {
        return Promise.reject(
          new SteleError(
            "failed-precondition",
            "Watch is already being read",
            "Read a watch from one loop only",
          ),
        );
      }
      return new Promise((resolve) => {
        waiter = resolve;
      });
    },
    return(): Promise<IteratorResult<WatchEvent<T>>> {
      close();
      return Promise.resolve(DONE);
    },
    close,
    [Symbol.asyncIterator]() {
      return watch;
    },
  };

  if (signal.aborted) close();
  else signal.addEventListener("abort", close, { once: true });
  return { watch, deliver, end: finish };
}
