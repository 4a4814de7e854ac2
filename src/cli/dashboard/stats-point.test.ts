import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { StatsSample } from "./dashboard-source.ts";
import { fakeSample } from "./fake-dashboard-source.ts";
import { statsPoint } from "./stats-point.ts";

const base: StatsSample = fakeSample(0);

test("CPU % is the busy share of the jiffies between two samples", () => {
  const point = statsPoint(
    { ...base, cpuBusy: 1000, cpuTotal: 4000 },
    { ...base, timeMs: base.timeMs + 1000, cpuBusy: 1100, cpuTotal: 4400 },
  );
  assert.equal(point.cpuPercent, 25);
});

test("rates are bytes per second over the time between the samples", () => {
  const point = statsPoint(
    { ...base, rxBytes: 1000, txBytes: 0, readBytes: 512, writeBytes: 0 },
    { ...base, timeMs: base.timeMs + 2000, rxBytes: 5000, txBytes: 2048, readBytes: 1536, writeBytes: 4096 },
  );
  assert.deepEqual([point.rxRate, point.txRate, point.readRate, point.writeRate], [2000, 1024, 512, 2048]);
});

test("memory used is total minus available, from the later sample", () => {
  const point = statsPoint(base, { ...base, timeMs: base.timeMs + 1000, memTotal: 8000, memAvailable: 3000 });
  assert.equal(point.memUsed, 5000);
  assert.equal(point.memTotal, 8000);
});

test("a counter that went down (reboot) gives 0, not a negative rate", () => {
  const point = statsPoint(
    { ...base, rxBytes: 10_000, cpuBusy: 500, cpuTotal: 1000 },
    { ...base, timeMs: base.timeMs + 1000, rxBytes: 10, cpuBusy: 5, cpuTotal: 10 },
  );
  assert.equal(point.rxRate, 0);
  assert.equal(point.cpuPercent, 0);
});

test("samples with the same time give rates of 0, not Infinity", () => {
  const point = statsPoint(base, { ...base, rxBytes: 100 });
  assert.equal(point.rxRate, 0);
});

test("CPU % stays within 0–100 for any pair of samples", () => {
  const counter = fc.nat({ max: 1e9 });
  fc.assert(
    fc.property(counter, counter, counter, counter, (busy1, idle1, busy2, idle2) => {
      const point = statsPoint(
        { ...base, cpuBusy: busy1, cpuTotal: busy1 + idle1 },
        { ...base, timeMs: base.timeMs + 1000, cpuBusy: busy2, cpuTotal: busy2 + idle2 },
      );
      return point.cpuPercent >= 0 && point.cpuPercent <= 100;
    }),
  );
});
