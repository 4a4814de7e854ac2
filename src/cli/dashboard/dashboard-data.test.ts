import assert from "node:assert/strict";
import { test } from "node:test";
import { DashboardData, KEPT_LOG_LINES, KEPT_POINTS, LOG_TAIL } from "./dashboard-data.ts";
import type { StatsSample } from "./dashboard-source.ts";
import { FakeDashboardSource, fakeSample } from "./fake-dashboard-source.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

test("the monitor keeps the last 60 points, each differenced from the sample before", async () => {
  const source = new FakeDashboardSource(["a"]);
  let send: (sample: StatsSample) => void = () => {};
  source.watchStats = (_node, options, onSample) => {
    send = onSample;
    return new Promise((resolve) => options.signal.addEventListener("abort", () => resolve()));
  };
  const data = new DashboardData(source);
  data.start();
  for (let i = 0; i < KEPT_POINTS + 11; i += 1) send(fakeSample(i));
  const points = data.view("a").points;
  assert.equal(points.length, KEPT_POINTS);
  assert.equal(points.at(-1)?.timeMs, fakeSample(KEPT_POINTS + 10).timeMs);
  assert.equal(points[0]?.timeMs, fakeSample(11).timeMs);
  data.close();
});

test("a log keeps its last 500 lines, asks for the last 200 first, and ends when another opens", async () => {
  const source = new FakeDashboardSource(["a"]);
  const tails: number[] = [];
  const followLogs = source.followLogs.bind(source);
  source.followLogs = (node, options, onLines) => {
    tails.push(options.tail);
    return followLogs(node, options, onLines);
  };
  const data = new DashboardData(source);
  data.followLogs("a", "etcd");
  for (let i = 0; i < 6; i += 1)
    source.emitLog(
      "logs:a/etcd",
      Array.from({ length: 100 }, (_, j) => `line ${i * 100 + j}`),
    );
  const lines = data.view("a").logLines;
  assert.equal(lines.length, KEPT_LOG_LINES);
  assert.equal(lines.at(-1), "line 599");
  assert.deepEqual(tails, [LOG_TAIL]);
  data.followLogs("a", "apid");
  await settle();
  assert.deepEqual(source.closed, ["logs:a/etcd"]);
  assert.deepEqual(data.view("a").logLines, ["apid started"]);
  data.close();
  await settle();
  assert.deepEqual(source.closed, ["logs:a/etcd", "logs:a/apid"]);
});

test("a node that fails keeps its error to itself; the other node's data arrives", async () => {
  const source = new FakeDashboardSource(["a", "b"]);
  source.failing.add("a");
  const data = new DashboardData(source, { retryMs: 5 });
  data.start();
  await settle();
  assert.equal(data.view("a").summaryError, "Node a is unreachable");
  assert.equal(data.view("a").statsError, "Node a is unreachable");
  assert.equal(data.view("b").summary?.hostname, "host-b");
  assert.equal(data.view("b").services?.length, 2);
  assert.equal(data.view("b").summaryError, undefined);
  data.close();
});
