import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ResourceStore } from "../../../../runtime/index.ts";
import { fakeKmsg } from "../fake-kmsg.ts";
import { LogManager } from "../log-manager.ts";
import { LogDestinationStatus } from "./log-destination-status.ts";
import {
  KERNEL_NOT_SHIPPED_ON_CONTAINER,
  KERNEL_SHIPPED,
  LogShipping,
  type LogShippingOptions,
} from "./log-shipping.ts";
import { startCollector, until } from "./test-collector.ts";

const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.reverse()) await close();
});

function wire(kernel: LogShippingOptions["kernel"]) {
  const store = new ResourceStore();
  let shipping!: LogShipping;
  const logs = new LogManager({ onEntry: (id, entry) => shipping.offer(id, entry) });
  shipping = new LogShipping({ store, statusIntervalMs: 20, ...(kernel ? { kernel } : {}) });
  closing.push(async () => {
    await shipping.close();
    await logs.close();
    store.close();
  });
  return { shipping, logs, store };
}

test("on metal a kernel destination gets the ring from its start, as JSON lines of service kernel; others do not", async () => {
  const [withKernel, without] = await Promise.all([startCollector("tcp"), startCollector("tcp")]);
  closing.push(
    () => withKernel.close(),
    () => without.close(),
  );
  const kmsg = fakeKmsg([
    "6,0,1000000,-;Linux version 6.12\n",
    "3,1,2500000,-;sda: I/O error\n DEVICE=b8:0\n",
  ]);
  const { shipping, logs, store } = wire({ platform: "metal", open: () => kmsg, pollMs: 5 });
  logs.sink("apid").log("apid up");
  await shipping.apply([{ endpoint: withKernel.endpoint, kernel: true }, { endpoint: without.endpoint }], {
    hostname: "n1",
  });
  kmsg.push("12,2,3000000,-;machined: a userland line\n");
  await until(() => withKernel.lines.length === 4, "the service line and three kernel lines");
  await until(() => without.lines.length === 1, "the service line");
  const kernel = withKernel.lines.filter((line) => line.service === "kernel");
  assert.deepEqual(
    kernel.map((l) => [l.stream, l.seq, l.level, l.msg, l.node]),
    [
      ["kernel", 0, "info", "Linux version 6.12", "n1"],
      ["kernel", 1, "err", "sda: I/O error", "n1"],
      ["kernel", 2, "warning", "machined: a userland line", "n1"],
    ],
  );
  assert.equal((kernel[2] as { facility?: number }).facility, 1);
  const stamps = kernel.map((l) => Date.parse(l.time));
  assert.equal(stamps[1]! - stamps[0]!, 1500, "times keep the kernel's spacing");
  assert.equal(without.lines[0]?.msg, "apid up");
  await until(
    () => store.get(LogDestinationStatus, withKernel.endpoint)?.spec.kernel === KERNEL_SHIPPED,
    "status",
  );
  assert.equal(store.get(LogDestinationStatus, without.endpoint)?.spec.kernel ?? null, null);
});

test("on the container platform kmsg is not read, and the destination's status says why", async () => {
  const collector = await startCollector("tcp");
  closing.push(() => collector.close());
  const { shipping, logs, store } = wire({
    platform: "container",
    open: () => assert.fail("the host's /dev/kmsg must not be opened"),
  });
  await shipping.apply([{ endpoint: collector.endpoint, kernel: true }], { hostname: "n1" });
  logs.sink("svc").log("one");
  await until(() => collector.lines.length === 1, "the service line");
  await until(
    () =>
      store.get(LogDestinationStatus, collector.endpoint)?.spec.kernel === KERNEL_NOT_SHIPPED_ON_CONTAINER,
    "the status naming the reason",
  );
});

test("a collector that is away never blocks the kernel source: the queue is bounded and drops are counted", async () => {
  const kmsg = fakeKmsg(Array.from({ length: 300 }, (_, i) => `6,${i},${i},-;line ${i}\n`));
  const store = new ResourceStore();
  const shipping = new LogShipping({
    store,
    kernel: { platform: "metal", open: () => kmsg, pollMs: 5 },
    shipper: { queue: { maxLines: 100 }, backoff: { baseMs: 1000, capMs: 1000 } },
  });
  closing.push(async () => {
    await shipping.close();
    store.close();
  });
  const started = Date.now();
  await shipping.apply([{ endpoint: "tcp://127.0.0.1:1", kernel: true }], { hostname: "n1" });
  await until(() => (shipping.stats()[0]?.dropped ?? 0) === 200, "200 dropped");
  assert.equal(shipping.stats()[0]?.queued, 100);
  assert.ok(Date.now() - started < 1000, "the source never waited for the collector");
});
