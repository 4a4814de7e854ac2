import { SteleError } from "../../../machinery/errors.ts";

/**
 * How many undelivered events a subscriber may have before it is cut off. Large enough that a
 * consumer that keeps up never sees it (a whole boot emits a few hundred events), small enough
 * that a stuck consumer cannot grow PID 1's memory without bound.
 */
export const DEFAULT_EVENT_BUFFER = 1024;

/** Options of {@link EventHub.subscribe}. */
export interface SubscribeOptions {
  /** Ends the iteration quietly when aborted, as a disconnecting API client expects. */
  signal?: AbortSignal;
  /** Undelivered events allowed before the subscription fails; default {@link DEFAULT_EVENT_BUFFER}. */
  buffer?: number;
}

/**
 * Fans events out to any number of async-iterator subscribers. A subscriber that keeps up gets
 * every event, in order. One that falls `buffer` events behind is cut off: it still receives what
 * was buffered, then its iterator throws a `busy` error, because silently skipping events would
 * leave a consumer with a wrong picture it cannot detect. It recovers by subscribing again and
 * taking a fresh snapshot.
 */
export class EventHub<T> {
  readonly #subscribers = new Set<Subscription<T>>();
  #closed = false;

  /** Delivers `event` to every current subscriber. */
  publish(event: T): void {
    for (const subscriber of this.#subscribers) subscriber.push(event);
  }

  /**
   * A new subscription, registered at once (not at the first `next()`), so that a snapshot taken
   * right after subscribing and the events that follow it fit together without a gap.
   */
  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<T> {
    const subscription = new Subscription<T>(options.buffer ?? DEFAULT_EVENT_BUFFER, () =>
      this.#subscribers.delete(subscription),
    );
    if (this.#closed || options.signal?.aborted) {
      subscription.end();
      return subscription;
    }
    this.#subscribers.add(subscription);
    if (options.signal) subscription.endOn(options.signal);
    return subscription;
  }

  /** How many subscriptions are open; for tests and for the daemon's own metrics. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Ends every subscription after what it has buffered; later subscriptions end at once. */
  close(): void {
    this.#closed = true;
    for (const subscriber of [...this.#subscribers]) subscriber.end();
  }
}

class Subscription<T> implements AsyncIterableIterator<T> {
  readonly #capacity: number;
  readonly #detach: () => void;
  // A queue read from `#head`: shift() on a long array is linear, this is not.
  #queue: T[] = [];
  #head = 0;
  // Set while a next() waits on an empty queue; then the queue stays empty until it is resolved.
  #waiter: ((result: IteratorResult<T>) => void) | undefined;
  #ended = false;
  #error: Error | undefined;
  #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.end();

  constructor(capacity: number, detach: () => void) {
    this.#capacity = capacity;
    this.#detach = detach;
  }

  endOn(signal: AbortSignal): void {
    this.#signal = signal;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  push(event: T): void {
    if (this.#ended) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter({ value: event, done: false });
      return;
    }
    if (this.#queue.length - this.#head >= this.#capacity) {
      this.#error = new SteleError(
        "busy",
        `Service events overflowed: the consumer fell more than ${this.#capacity} events behind`,
        "Read events faster, or subscribe again and take a fresh list() snapshot",
      );
      this.#stop();
      return;
    }
    this.#queue.push(event);
  }

  end(): void {
    if (this.#ended) return;
    this.#stop();
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head] as T;
      this.#head++;
      if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter) {
      return Promise.reject(
        new SteleError(
          "failed-precondition",
          "Cannot read service events: next() called again before the previous call settled",
          "Consume the iterator with for await, one event at a time",
        ),
      );
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.#queue = [];
    this.#head = 0;
    this.#error = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  #stop(): void {
    this.#ended = true;
    this.#detach();
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#signal = undefined;
  }
}
