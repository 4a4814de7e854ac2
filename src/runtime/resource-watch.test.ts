import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../machinery/errors.ts";
import type { Resource, WatchEvent } from "./resource.ts";
import { ResourceStore } from "./resource-store.ts";
import { defineResourceType } from "./resource-type.ts";
import type { ResourceWatch } from "./resource-watch.ts";

const Links = defineResourceType<{ mtu: number }>({
  type: "Links.net.stele.dev",
  defaultNamespace: "network",
});

/** Takes the next n events, failing instead of hanging if they do not come. */
async function take<T>(watch: ResourceWatch<T>, n: number): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  for (let i = 0; i < n; i++) {
    const result = await Promise.race([
      watch.next(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`only ${i} events came`)), 1000).unref(),
      ),
    ]);
    if (result.done) throw new Error(`watch ended after ${i} events`);
    out.push(result.value);
  }
  return out;
}

function brief(event: WatchEvent<{ mtu: number }>): string {
  if (event.kind === "bootstrapped") return "bootstrapped";
  if (event.kind === "errored") return `errored: ${event.error.message}`;
  return `${event.kind} ${event.resource.metadata.id}@${event.resource.metadata.version}`;
}

describe("watch", () => {
  test('"bootstrapped" lists what exists by id, marks the end of the listing, then follows changes', async () => {
    const store = new ResourceStore();
    store.create(Links, "eth1", { spec: { mtu: 1500 } });
    store.create(Links, "eth0", { spec: { mtu: 1500 } });
    const watch = store.watch(Links, { signal: new AbortController().signal, tailEvents: "bootstrapped" });
    store.update(Links, "eth0", { expectedVersion: 1, spec: { mtu: 9000 } });
    store.destroy(Links, "eth1");
    assert.deepEqual((await take(watch, 5)).map(brief), [
      "created eth0@1",
      "created eth1@1",
      "bootstrapped",
      "updated eth0@2",
      "destroyed eth1@1",
    ]);
    watch.close();
  });

  test("without tailEvents a watch sees only later changes, from the moment watch() returned", async () => {
    const store = new ResourceStore();
    store.create(Links, "old", { spec: { mtu: 1 } });
    const watch = store.watch(Links, { signal: new AbortController().signal });
    store.create(Links, "new", { spec: { mtu: 1 } }); // before the first next(): must not be lost
    assert.deepEqual((await take(watch, 1)).map(brief), ["created new@1"]);
    watch.close();
  });

  test("tailEvents n replays the last n events, then follows changes", async () => {
    const store = new ResourceStore({ historyCapacity: 3 });
    for (const id of ["a", "b", "c", "d"]) store.create(Links, id, { spec: { mtu: 1 } });
    const watch = store.watch(Links, { signal: new AbortController().signal, tailEvents: 2 });
    store.destroy(Links, "a");
    assert.deepEqual((await take(watch, 3)).map(brief), ["created c@1", "created d@1", "destroyed a@1"]);
    watch.close();
    assert.throws(
      () => store.watch(Links, { signal: new AbortController().signal, tailEvents: 4 }),
      (error) =>
        isSteleError(error) && error.code === "invalid-argument" && /from 0 to 3/.test(error.message),
    );
  });

  test("a watch of one id sees only that resource", async () => {
    const store = new ResourceStore();
    const watch = store.watch(Links, {
      id: "eth0",
      signal: new AbortController().signal,
      tailEvents: "bootstrapped",
    });
    store.create(Links, "eth1", { spec: { mtu: 1 } });
    store.create(Links, "eth0", { spec: { mtu: 1 } });
    assert.deepEqual((await take(watch, 2)).map(brief), ["bootstrapped", "created eth0@1"]);
    watch.close();
  });

  test("other namespaces are not seen", async () => {
    const store = new ResourceStore();
    const watch = store.watch(Links, { signal: new AbortController().signal });
    store.create(Links, "x", { spec: { mtu: 1 }, namespace: "elsewhere" });
    store.create(Links, "y", { spec: { mtu: 1 } });
    assert.deepEqual((await take(watch, 1)).map(brief), ["created y@1"]);
    watch.close();
  });

  test("a watcher that falls behind gets what was queued, one errored event, then the end", async () => {
    const store = new ResourceStore({ watchQueueCapacity: 4 });
    const watch = store.watch(Links, { signal: new AbortController().signal });
    for (let i = 0; i < 10; i++) store.create(Links, `l${i}`, { spec: { mtu: 1 } });
    assert.equal(store.watcherCount, 0, "the overflowed watch no longer holds a subscription");
    const events = await take(watch, 5);
    assert.deepEqual(events.slice(0, 4).map(brief), [
      "created l0@1",
      "created l1@1",
      "created l2@1",
      "created l3@1",
    ]);
    const last = events[4]!;
    assert.equal(last.kind, "errored");
    assert.ok(last.kind === "errored" && isSteleError(last.error) && last.error.code === "unavailable");
    assert.deepEqual(await watch.next(), { value: undefined, done: true });
  });

  test("a watcher that keeps up is never cut off, however many events pass", async () => {
    const store = new ResourceStore({ watchQueueCapacity: 4 });
    const watch = store.watch(Links, { signal: new AbortController().signal });
    store.create(Links, "x", { spec: { mtu: 0 } });
    for (let i = 1; i <= 2000; i++) {
      store.update(Links, "x", { expectedVersion: i, spec: { mtu: i } });
      if (i % 3 === 0) await take(watch, 3);
    }
    // 1 + 2000 events, 666 × 3 taken in the loop: three remain, the last of them the last update.
    const rest = await take(watch, 3);
    assert.equal(brief(rest[2]!), "updated x@2001");
    watch.close();
  });

  test("leaving the loop, aborting the signal or closing the store ends the watch and its subscription", async () => {
    const store = new ResourceStore();
    const watch = store.watch(Links, { signal: new AbortController().signal });
    store.create(Links, "a", { spec: { mtu: 1 } });
    for await (const _ of watch) break;
    assert.equal(store.watcherCount, 0);

    const controller = new AbortController();
    const waiting = store.watch(Links, { signal: controller.signal }).next();
    controller.abort();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.equal(store.watcherCount, 0);

    const aborted = store.watch(Links, { signal: AbortSignal.abort() });
    assert.deepEqual(await aborted.next(), { value: undefined, done: true });
    assert.equal(store.watcherCount, 0);

    const open = store.watch(Links, { signal: new AbortController().signal });
    const pending = open.next();
    store.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(store.watcherCount, 0);
  });

  test("events reach every watcher in commit order even when a listener writes while being notified", async () => {
    const store = new ResourceStore();
    store.subscribe(Links, {
      onEvent: (event) => {
        if (event.kind === "created" && event.resource.metadata.id === "first") {
          store.create(Links, "second", { spec: { mtu: 1 } });
        }
      },
    });
    const watch = store.watch(Links, { signal: new AbortController().signal });
    store.create(Links, "first", { spec: { mtu: 1 } });
    assert.deepEqual((await take(watch, 2)).map(brief), ["created first@1", "created second@1"]);
    watch.close();
  });

  test("a watch opened by a listener during a delivery does not see again what its listing holds", async () => {
    const store = new ResourceStore();
    let inner: ResourceWatch<{ mtu: number }> | undefined;
    store.subscribe(Links, {
      onEvent: (event) => {
        if (event.kind === "created" && event.resource.metadata.id === "first") {
          store.create(Links, "second", { spec: { mtu: 1 } }); // committed, its delivery queued
          inner = store.watch(Links, { signal: new AbortController().signal, tailEvents: "bootstrapped" });
        }
      },
    });
    store.create(Links, "first", { spec: { mtu: 1 } });
    store.create(Links, "third", { spec: { mtu: 1 } });
    assert.deepEqual((await take(inner!, 4)).map(brief), [
      "created first@1",
      "created second@1",
      "bootstrapped",
      "created third@1",
    ]);
    inner!.close();
  });

  test("a listener that throws does not break the write or other watchers", async () => {
    const errors: unknown[] = [];
    const store = new ResourceStore({ onListenerError: (e) => errors.push(e) });
    store.subscribe(Links, {
      onEvent: () => {
        throw new Error("boom");
      },
    });
    const watch = store.watch(Links, { signal: new AbortController().signal });
    store.create(Links, "a", { spec: { mtu: 1 } });
    assert.deepEqual((await take(watch, 1)).map(brief), ["created a@1"]);
    assert.equal(errors.length, 1);
    watch.close();
  });
});

/** Random operations on a few ids; invalid ones (update of a missing id…) fail and are part of the test. */
const operation = fc.record({
  op: fc.constantFrom("create", "update", "teardown", "destroy", "addFinalizer", "removeFinalizer", "label"),
  id: fc.constantFrom("a", "b", "c"),
  value: fc.integer({ min: 0, max: 3 }),
});
type Operation = { op: string; id: string; value: number };

function apply(store: ResourceStore, { op, id, value }: Operation): void {
  const current = store.get(Links, id);
  try {
    switch (op) {
      case "create":
        store.create(Links, id, { spec: { mtu: value } });
        break;
      case "update":
        store.update(Links, id, { expectedVersion: current?.metadata.version ?? 1, spec: { mtu: value } });
        break;
      case "teardown":
        store.teardown(Links, id);
        break;
      case "destroy":
        store.destroy(Links, id);
        break;
      case "addFinalizer":
        store.addFinalizer(Links, id, { finalizer: `f${value % 2}` });
        break;
      case "removeFinalizer":
        store.removeFinalizer(Links, id, { finalizer: `f${value % 2}` });
        break;
      case "label":
        if (current) {
          store.update(Links, id, {
            expectedVersion: current.metadata.version,
            spec: current.spec,
            labels: { v: `${value}` },
          });
        }
        break;
    }
  } catch (error) {
    if (!isSteleError(error)) throw error;
  }
}

/** Reads events until the sentinel's creation, which comes after every change the test made. */
async function drainUntilSentinel(
  watch: ResourceWatch<{ mtu: number }>,
): Promise<WatchEvent<{ mtu: number }>[]> {
  const events: WatchEvent<{ mtu: number }>[] = [];
  for await (const event of watch) {
    if (event.kind === "created" && event.resource.metadata.id === "~sentinel") break;
    events.push(event);
  }
  return events;
}

describe("watch properties", () => {
  test("a bootstrapped watch started at any point reconstructs exactly the final state, with no gap or duplicate", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 60 }), fc.nat(), async (operations, start) => {
        const store = new ResourceStore();
        const startAt = start % (operations.length + 1);
        for (const o of operations.slice(0, startAt)) apply(store, o);
        const watch = store.watch(Links, {
          signal: new AbortController().signal,
          tailEvents: "bootstrapped",
        });
        for (const o of operations.slice(startAt)) apply(store, o);
        store.create(Links, "~sentinel", { spec: { mtu: 0 } });
        const events = await drainUntilSentinel(watch);

        const state = new Map<string, Resource<{ mtu: number }>>();
        let bootstrapped = false;
        for (const event of events) {
          if (event.kind === "bootstrapped") {
            assert.ok(!bootstrapped, "one bootstrapped marker");
            bootstrapped = true;
            continue;
          }
          assert.notEqual(event.kind, "errored");
          if (event.kind === "errored") return;
          const { id, version } = event.resource.metadata;
          const previous = state.get(id);
          if (event.kind === "created") {
            assert.equal(previous, undefined, `created ${id} while it existed`);
            if (bootstrapped) assert.equal(version, 1);
            state.set(id, event.resource);
          } else {
            assert.ok(previous, `${event.kind} ${id} that the watcher never saw created`);
            if (event.kind === "updated") {
              assert.equal(
                version,
                previous.metadata.version + 1,
                `no gap or duplicate in versions of ${id}`,
              );
              state.set(id, event.resource);
            } else {
              assert.equal(version, previous.metadata.version, `destroyed ${id} is its last state`);
              state.delete(id);
            }
          }
        }
        assert.ok(bootstrapped);
        const final = store.list(Links).filter((r) => r.metadata.id !== "~sentinel");
        assert.deepEqual(
          [...state.values()].sort((x, y) => (x.metadata.id < y.metadata.id ? -1 : 1)),
          final,
        );
      }),
      { numRuns: 300 },
    );
  });

  test("tailEvents n yields exactly the last n events a watcher from the start saw", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 60 }), fc.nat({ max: 64 }), async (operations, n) => {
        const store = new ResourceStore({ historyCapacity: 64 });
        const full = store.watch(Links, { signal: new AbortController().signal });
        for (const o of operations) apply(store, o);
        const tail = store.watch(Links, { signal: new AbortController().signal, tailEvents: n });
        store.create(Links, "~sentinel", { spec: { mtu: 0 } });
        const all = await drainUntilSentinel(full);
        const tailed = await drainUntilSentinel(tail);
        assert.deepEqual(tailed, all.slice(Math.max(0, all.length - n)));
      }),
      { numRuns: 200 },
    );
  });
});
