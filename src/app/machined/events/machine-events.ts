import { SteleError } from "../../../machinery/errors.ts";
import type { MachineEvent, MachineEventPayload } from "./machine-event.ts";

/** Options of {@link MachineEvents.subscribe}: which recorded events to replay, then live ones. */
export interface EventSubscribeOptions {
  signal: AbortSignal;
  /** Replay up to this many recent events first; -1 replays every event kept. */
  tailEvents?: number;
  /** Replay the events recorded after this id (resuming a broken stream). */
  tailId?: string;
  /** Replay the events of the last this many seconds. */
  tailSeconds?: number;
  /** Only events of this actor. */
  actorId?: string;
}

/** Options of {@link MachineEvents}. */
export interface MachineEventsOptions {
  /** Events kept for replay (default 1000). */
  history?: number;
  /** Undelivered events a subscriber may have before it is cut off with `busy` (default 4096). */
  buffer?: number;
  now?: () => Date;
}

interface Subscriber {
  readonly queue: MachineEvent[];
  readonly actorId: string | undefined;
  wake: (() => void) | undefined;
  overflowed: boolean;
}

/**
 * The node's event log (sequences, phases, tasks, services, machine status): every event gets an
 * increasing id, a bounded history is kept for `stelectl events --tail`, and subscribers get
 * replayed history then live events. A subscriber that falls `buffer` events behind is ended with
 * a `busy` error instead of growing PID 1's memory; it resumes with `tailId`.
 */
export class MachineEvents {
  readonly #history: MachineEvent[] = [];
  readonly #capacity: number;
  readonly #buffer: number;
  readonly #now: () => Date;
  readonly #subscribers = new Set<Subscriber>();
  #seq = 0;

  constructor(options: MachineEventsOptions = {}) {
    this.#capacity = options.history ?? 1000;
    this.#buffer = options.buffer ?? 4096;
    this.#now = options.now ?? (() => new Date());
  }

  /** Records an event and hands it to every subscriber. */
  publish(payload: MachineEventPayload, actorId = ""): MachineEvent {
    this.#seq += 1;
    const event: MachineEvent = Object.freeze({
      id: String(this.#seq).padStart(12, "0"),
      actorId,
      time: this.#now(),
      payload: Object.freeze(payload),
    });
    this.#history.push(event);
    if (this.#history.length > this.#capacity) this.#history.shift();
    for (const subscriber of this.#subscribers) {
      if (subscriber.actorId !== undefined && subscriber.actorId !== actorId) continue;
      if (subscriber.queue.length >= this.#buffer) subscriber.overflowed = true;
      else subscriber.queue.push(event);
      subscriber.wake?.();
    }
    return event;
  }

  /** The events kept, oldest first. */
  history(): MachineEvent[] {
    return [...this.#history];
  }

  /** How many subscriptions are open (for tests that check nothing leaks). */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Replays the recorded events the options select, then yields new ones until `signal` aborts.
   * The subscription starts before this returns, so nothing published afterwards is missed.
   */
  subscribe(options: EventSubscribeOptions): AsyncGenerator<MachineEvent, void, undefined> {
    const actorId = options.actorId || undefined;
    const subscriber: Subscriber = {
      queue: this.#replay(options, actorId),
      actorId,
      wake: undefined,
      overflowed: false,
    };
    this.#subscribers.add(subscriber);
    // Also here, not only in the generator's finally, which never runs for a stream never read.
    const end = () => {
      this.#subscribers.delete(subscriber);
      subscriber.wake?.();
    };
    if (options.signal.aborted) end();
    else options.signal.addEventListener("abort", end, { once: true });
    return this.#drain(subscriber, options.signal);
  }

  #replay(options: EventSubscribeOptions, actorId: string | undefined): MachineEvent[] {
    let events = this.#history.filter((e) => actorId === undefined || e.actorId === actorId);
    if (options.tailId) {
      const tailId = options.tailId;
      events = events.filter((e) => e.id > tailId);
    } else if (options.tailSeconds && options.tailSeconds > 0) {
      const since = this.#now().getTime() - options.tailSeconds * 1000;
      events = events.filter((e) => e.time.getTime() >= since);
    } else if (options.tailEvents === -1) {
      // every event kept
    } else if (options.tailEvents && options.tailEvents > 0) {
      events = events.slice(-options.tailEvents);
    } else {
      events = [];
    }
    return events;
  }

  async *#drain(subscriber: Subscriber, signal: AbortSignal): AsyncGenerator<MachineEvent, void, undefined> {
    try {
      for (;;) {
        if (signal.aborted) return;
        const next = subscriber.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (subscriber.overflowed) {
          throw new SteleError(
            "busy",
            `Event stream fell behind: more than ${this.#buffer} events were not read`,
            "Resume with the id of the last event received (--tail-id)",
          );
        }
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve;
        });
        subscriber.wake = undefined;
      }
    } finally {
      this.#subscribers.delete(subscriber);
    }
  }
}
