import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type MachinedFixture, startMachined, testConfigs } from "../../testing/machined-fixture.ts";
import { LogDestinationStatus } from "./log-destination-status.ts";
import { startCollector, type TestCollector, until } from "./test-collector.ts";

let collector: TestCollector;
let node: MachinedFixture;
let withoutDestination: string;

before(async () => {
  collector = await startCollector("tcp");
  const configs = await testConfigs();
  node = await startMachined(
    configs.yaml((m) => ({
      ...m,
      logging: { destinations: [{ endpoint: collector.endpoint, format: "json_lines" }] },
    })),
  );
  withoutDestination = configs.yaml((m) => ({ ...m, logging: { destinations: [] } }));
});

after(async () => {
  await node?.close();
  await collector?.close();
});

test("a machined booted with a tcp destination ships its own boot log lines", async () => {
  await until(
    () => collector.lines.some((l) => l.service === "machined" && l.msg.includes('"Boot finished"')),
    "machined's boot lines at the collector",
  );
  const machinedLines = collector.lines.filter((l) => l.service === "machined");
  assert.ok(
    machinedLines.some((l) => l.msg.includes('"machined starting"')),
    "lines from before the config loaded",
  );
  assert.equal(machinedLines[0]?.seq, 1, "from machined's first line on");
  const status = node.running.machined.store.get(LogDestinationStatus, collector.endpoint);
  assert.equal(status?.spec.lastError, null);
});

test("a no-reboot apply that removes the destination stops shipping", async () => {
  const result = await node.running.machined.apply(withoutDestination, { mode: "no-reboot" });
  assert.equal(result.mode, "no-reboot");
  const shipped = collector.lines.length;
  node.running.machined.logger.info({}, "after the destination was removed");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(collector.lines.length, shipped);
  assert.deepEqual(node.running.machined.shipping.stats(), []);
  await until(
    () => node.running.machined.store.get(LogDestinationStatus, collector.endpoint) === undefined,
    "the status resource removed",
  );
});
