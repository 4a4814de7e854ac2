import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import { EventHub } from "./event-hub.ts";

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

test("every subscriber gets every event published after it subscribed, in order", async () => {
  const hub = new EventHub<number>();
  hub.publish(0);
  const first = hub.subscribe();
  const second = hub.subscribe();
  for (let i = 1; i <= 1_000; i++) hub.publish(i);
  hub.close();
  const expected = Array.from({ length: 1_000 }, (_, i) => i + 1);
  assert.deepEqual(await collect(first), expected);
  assert.deepEqual(await collect(second), expected);
});

test("a subscriber that keeps up never overflows, however many events pass", async () => {
  const hub = new EventHub<number>();
  const iterator = hub.subscribe({ buffer: 2 });
  const received = collect(iterator);
  for (let i = 0; i < 10_000; i++) {
    hub.publish(i);
    await Promise.resolve();
  }
  hub.close();
  assert.equal((await received).length, 10_000);
});

test("a subscriber that falls behind gets what was buffered, then a busy error, and is detached", async () => {
  const hub = new EventHub<number>();
  const iterator = hub.subscribe({ buffer: 3 });
  for (let i = 0; i < 5; i++) hub.publish(i);
  assert.equal(hub.subscriberCount, 0);
  const received: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const item of iterator) received.push(item);
    })(),
    (error: unknown) => isSteleError(error) && error.code === "busy" && error.hint !== undefined,
  );
  assert.deepEqual(received, [0, 1, 2]);
});

test("aborting the signal ends the iteration quietly and detaches the subscriber", async () => {
  const hub = new EventHub<string>();
  const controller = new AbortController();
  const iterator = hub.subscribe({ signal: controller.signal });
  const pending = iterator.next();
  controller.abort();
  assert.deepEqual(await pending, { value: undefined, done: true });
  assert.equal(hub.subscriberCount, 0);
  assert.equal((await hub.subscribe({ signal: controller.signal }).next()).done, true);
});

test("breaking out of for await detaches the subscriber", async () => {
  const hub = new EventHub<number>();
  const iterator = hub.subscribe();
  hub.publish(1);
  hub.publish(2);
  for await (const item of iterator) {
    assert.equal(item, 1);
    break;
  }
  assert.equal(hub.subscriberCount, 0);
});
