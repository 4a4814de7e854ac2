import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import type { MachineEvent } from "./machine-event.ts";
import { MachineEvents } from "./machine-events.ts";

const task = (name: string) => ({ kind: "task" as const, task: name, action: "start" as const });
const names = (events: MachineEvent[]) =>
  events.map((e) => (e.payload.kind === "task" ? e.payload.task : "?"));

async function take(stream: AsyncGenerator<MachineEvent>, n: number): Promise<MachineEvent[]> {
  const out: MachineEvent[] = [];
  for await (const event of stream) {
    out.push(event);
    if (out.length === n) break;
  }
  return out;
}

describe("MachineEvents", () => {
  test("ids increase and sort as strings", () => {
    const events = new MachineEvents();
    const ids = Array.from({ length: 12 }, (_, i) => events.publish(task(`t${i}`)).id);
    assert.deepEqual([...ids].sort(), ids);
  });

  const tails: Array<[string, object, string[]]> = [
    ["no tail option replays nothing", {}, ["new"]],
    ["tailEvents 2 replays the last two", { tailEvents: 2 }, ["b", "c", "new"]],
    ["tailEvents -1 replays everything kept", { tailEvents: -1 }, ["a", "b", "c", "new"]],
    ["tailId replays what came after that id", { tailId: "000000000001" }, ["b", "c", "new"]],
    ["actorId keeps only that actor's events", { tailEvents: -1, actorId: "x" }, ["b", "new"]],
  ];
  for (const [name, options, expected] of tails) {
    test(name, async () => {
      const events = new MachineEvents();
      events.publish(task("a"));
      events.publish(task("b"), "x");
      events.publish(task("c"));
      const abort = new AbortController();
      const stream = events.subscribe({ signal: abort.signal, ...options });
      events.publish(task("new"), "x");
      assert.deepEqual(names(await take(stream, expected.length)), expected);
      abort.abort();
    });
  }

  test("history is bounded", () => {
    const events = new MachineEvents({ history: 3 });
    for (const name of ["a", "b", "c", "d"]) events.publish(task(name));
    assert.deepEqual(names(events.history()), ["b", "c", "d"]);
  });

  test("a subscriber that falls behind gets what it buffered, then busy", async () => {
    const events = new MachineEvents({ buffer: 2 });
    const stream = events.subscribe({ signal: new AbortController().signal });
    for (const name of ["a", "b", "c"]) events.publish(task(name));
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of stream) seen.push(names([event])[0]!);
      })(),
      (error) => isSteleError(error) && error.code === "busy",
    );
    assert.deepEqual(seen, ["a", "b"]);
    assert.equal(events.subscriberCount, 0);
  });

  test("aborting ends a subscription, even one never read", () => {
    const events = new MachineEvents();
    const abort = new AbortController();
    events.subscribe({ signal: abort.signal });
    assert.equal(events.subscriberCount, 1);
    abort.abort();
    assert.equal(events.subscriberCount, 0);
  });
});
