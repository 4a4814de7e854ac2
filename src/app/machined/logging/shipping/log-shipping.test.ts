import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ResourceStore } from "../../../../runtime/index.ts";
import { LogManager } from "../log-manager.ts";
import { LogDestinationStatus } from "./log-destination-status.ts";
import { LogShipping } from "./log-shipping.ts";
import { startCollector, until, unusedPort } from "./test-collector.ts";

const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.reverse()) await close();
});

/** A LogShipping fed by a LogManager, logging its failures into that manager's `machined` log. */
function wire(store?: ResourceStore, bootBacklogLines?: number) {
  let shipping!: LogShipping;
  const logs = new LogManager({ onEntry: (id, entry) => shipping.offer(id, entry) });
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    logs.sink("machined").log(JSON.stringify({ level, msg, ...fields }));
  shipping = new LogShipping({
    store,
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    shipper: { backoff: { baseMs: 20, capMs: 100 } },
    statusIntervalMs: 50,
    bootBacklogLines,
  });
  closing.push(async () => {
    await shipping.close();
    await logs.close();
  });
  return { shipping, logs };
}

test("apply keeps the connection of an unchanged destination and replaces the others", async () => {
  const [a, b] = await Promise.all([startCollector("tcp"), startCollector("tcp")]);
  closing.push(
    () => a.close(),
    () => b.close(),
  );
  const { shipping, logs } = wire();
  await shipping.apply([{ endpoint: a.endpoint }, { endpoint: b.endpoint }], { hostname: "n1" });
  logs.sink("svc").log("one");
  await until(() => a.lines.length === 1 && b.lines.length === 1, "the first line at both");

  await shipping.apply([{ endpoint: a.endpoint }], { hostname: "n2" });
  logs.sink("svc").log("two");
  await until(() => a.lines.length === 2, "the second line at a");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(b.lines.length, 1, "a removed destination gets nothing more");
  assert.equal(a.connections, 1, "the unchanged destination kept its connection");
  assert.deepEqual(
    a.lines.map((l) => [l.msg, l.node]),
    [
      ["one", "n1"],
      ["two", "n2"],
    ],
  );
  assert.deepEqual(
    shipping.stats().map((s) => s.endpoint),
    [a.endpoint],
  );
});

test("a shipper's own failure is logged by machined but never shipped", async () => {
  const collector = await startCollector("tcp");
  closing.push(() => collector.close());
  const { shipping, logs } = wire();
  const down = `tcp://127.0.0.1:${await unusedPort()}`;
  await shipping.apply([{ endpoint: collector.endpoint }, { endpoint: down }], { hostname: "n1" });
  await until(() => shipping.stats().find((s) => s.endpoint === down)?.lastError != null, "the failure");
  logs.sink("machined").log("an ordinary machined line");
  await until(() => collector.lines.some((l) => l.msg === "an ordinary machined line"), "the ordinary line");
  const logged = logs
    .ring("machined")
    .tail(100)
    .map((e) => e.line);
  assert.ok(
    logged.some((line) => line.includes("Log shipping: Cannot connect to")),
    "the failure is in machined's log",
  );
  assert.ok(
    collector.lines.every((l) => !l.msg.includes("Log shipping")),
    "and not at the collector",
  );
});

test("the LogDestinationStatus resources follow the destinations", async () => {
  const store = new ResourceStore();
  closing.push(async () => store.close());
  const collector = await startCollector("tcp");
  closing.push(() => collector.close());
  const { shipping, logs } = wire(store);
  const down = `tcp://127.0.0.1:${await unusedPort()}`;
  await shipping.apply([{ endpoint: collector.endpoint }, { endpoint: down }], { hostname: "n1" });
  for (let i = 0; i < 5; i++) logs.sink("svc").log(`line ${i}`);
  await until(
    () => store.get(LogDestinationStatus, collector.endpoint)?.spec.sent === 5,
    "5 sent in the status",
  );
  assert.equal(store.resolveType("logdestinationstatus"), LogDestinationStatus);
  const up = store.get(LogDestinationStatus, collector.endpoint);
  assert.equal(up?.metadata.namespace, "runtime");
  assert.deepEqual(up?.spec, {
    endpoint: collector.endpoint,
    connected: true,
    queued: 0,
    sent: 5,
    dropped: 0,
    lastError: null,
    kernel: null,
  });
  await until(
    () => /ECONNREFUSED/.test(store.get(LogDestinationStatus, down)?.spec.lastError ?? ""),
    "the error",
  );
  assert.equal(store.get(LogDestinationStatus, down)?.spec.connected, false);

  await shipping.apply([{ endpoint: collector.endpoint }], { hostname: "n1" });
  await until(
    () => store.get(LogDestinationStatus, down) === undefined,
    "the removed destination's status gone",
  );
});

test("lines logged before the first apply go to its destinations, the newest up to the bound", async () => {
  const collector = await startCollector("tcp");
  closing.push(() => collector.close());
  const { shipping, logs } = wire(undefined, 3);
  for (let i = 1; i <= 5; i++) logs.sink("machined").log(`boot ${i}`);
  await shipping.apply([{ endpoint: collector.endpoint }], { hostname: "n1" });
  logs.sink("machined").log("after");
  await until(() => collector.lines.length === 4, "backlog and the new line");
  assert.deepEqual(
    collector.lines.map((l) => [l.seq, l.msg]),
    [
      [3, "boot 3"],
      [4, "boot 4"],
      [5, "boot 5"],
      [6, "after"],
    ],
  );
  await shipping.apply([], { hostname: "n1" });
  await shipping.apply([{ endpoint: collector.endpoint }], { hostname: "n1" });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(collector.lines.length, 4, "the backlog is handed over once");
});
