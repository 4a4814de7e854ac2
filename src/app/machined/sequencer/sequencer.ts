import { randomUUID } from "node:crypto";
import { isSteleError, SteleError } from "../../../machinery/errors.ts";
import type { MachineEvents } from "../events/machine-events.ts";

/** The sequences machined runs, one at a time. */
export type SequenceName = "boot" | "apply" | "reboot" | "shutdown" | "reset";

/**
 * What a sequence body gets: helpers that run a phase, a task or a nested sequence and record its
 * start and stop as events tagged with the sequence's actor.
 */
export interface SequenceContext {
  readonly actorId: string;
  phase(name: string, body: () => Promise<void> | void): Promise<void>;
  task(name: string, body: () => Promise<void> | void): Promise<void>;
  /** Runs another sequence inside this one, under the same lock (a reboot ends in a boot). */
  sequence(name: SequenceName, body: (context: SequenceContext) => Promise<void>): Promise<void>;
}

/** A sequence that was started: its actor id (for the API's reply) and its end. */
export interface StartedSequence {
  readonly actorId: string;
  /** Settles when the sequence ended; rejects with its error. */
  readonly done: Promise<void>;
}

/**
 * Runs machined's sequences (boot, apply, reboot, shutdown, reset) one at a time. There is no queue:
 * a request while one runs is refused at once with `busy`, naming the running sequence, because a
 * queued reboot behind a reset would act on a node that no longer is what the caller saw.
 */
export class Sequencer {
  readonly #events: MachineEvents;
  #running: { name: SequenceName; since: Date } | undefined;

  constructor(events: MachineEvents) {
    this.#events = events;
  }

  /** The sequence running now, if any. */
  get running(): SequenceName | undefined {
    return this.#running?.name;
  }

  /**
   * Takes the lock synchronously and runs `body` in the background. Throws `busy` at once when a
   * sequence runs; otherwise returns before the body's first await, so the API replies first.
   */
  start(
    name: SequenceName,
    body: (context: SequenceContext) => Promise<void>,
    actorId?: string,
  ): StartedSequence {
    if (this.#running) {
      const { name: running, since } = this.#running;
      throw new SteleError(
        "busy",
        `Sequence ${running} is running: ${name} cannot start until it ends (running since ${since.toISOString()})`,
        `Wait for the ${running} to finish (stelectl events), then retry`,
      );
    }
    this.#running = { name, since: new Date() };
    const actor = actorId ?? randomUUID();
    const done = (async () => {
      try {
        await this.#sequence(actor, name, body);
      } finally {
        this.#running = undefined;
      }
    })();
    // The caller may only want the actor id; the failure is recorded as an event either way.
    done.catch(() => {});
    return { actorId: actor, done };
  }

  async #sequence(actorId: string, name: SequenceName, body: (context: SequenceContext) => Promise<void>) {
    this.#events.publish({ kind: "sequence", sequence: name, action: "start" }, actorId);
    try {
      await body(this.#context(actorId));
    } catch (error) {
      const cause = isSteleError(error)
        ? { code: error.code, message: error.message, hint: error.hint }
        : { code: "internal" as const, message: `Sequence ${name} failed: ${String(error)}` };
      this.#events.publish({ kind: "sequence", sequence: name, action: "stop", error: cause }, actorId);
      throw error;
    }
    this.#events.publish({ kind: "sequence", sequence: name, action: "stop" }, actorId);
  }

  #context(actorId: string): SequenceContext {
    const step = (kind: "phase" | "task") => async (name: string, body: () => Promise<void> | void) => {
      const event = (action: "start" | "stop") =>
        kind === "phase" ? { kind, phase: name, action } : { kind, task: name, action };
      this.#events.publish(event("start"), actorId);
      await body();
      this.#events.publish(event("stop"), actorId);
    };
    return {
      actorId,
      phase: step("phase"),
      task: step("task"),
      sequence: (name, body) => this.#sequence(actorId, name, body),
    };
  }
}
