import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  DiskCounters,
  InterfaceCounters,
  WatchStatsResponse,
} from "../../machinery/api/machine/v1alpha1/stats.ts";
import { statsSampleOf } from "./stats-sample.ts";

function iface(name: string, rx: bigint, tx: bigint): InterfaceCounters {
  return {
    name,
    rxBytes: rx,
    rxPackets: 0n,
    rxErrors: 0n,
    rxDropped: 0n,
    txBytes: tx,
    txPackets: 0n,
    txErrors: 0n,
    txDropped: 0n,
  };
}

function disk(name: string, read: bigint, written: bigint): DiskCounters {
  return {
    name,
    major: 0,
    minor: 0,
    readsCompleted: 0n,
    readsMerged: 0n,
    sectorsRead: read,
    readTimeMs: 0n,
    writesCompleted: 0n,
    writesMerged: 0n,
    sectorsWritten: written,
    writeTimeMs: 0n,
    ioInProgress: 0n,
    ioTimeMs: 0n,
    weightedIoTimeMs: 0n,
  };
}

const response: WatchStatsResponse = {
  time: new Date(5000),
  cpu: {
    name: "cpu",
    user: 10n,
    nice: 1n,
    system: 5n,
    idle: 80n,
    iowait: 2n,
    irq: 1n,
    softirq: 1n,
    steal: 0n,
  },
  clockTicksPerSecond: 100,
  interfaces: [iface("lo", 1_000_000n, 1_000_000n), iface("eth0", 300n, 200n), iface("eth1", 100n, 50n)],
  disks: [
    disk("vda", 10n, 20n),
    disk("vda1", 10n, 20n),
    disk("nvme0n1", 1n, 0n),
    disk("nvme0n1p1", 1n, 0n),
    disk("loop0", 7n, 7n),
  ],
  processCount: 12,
};

test("CPU busy leaves idle and iowait out; total counts every jiffy", () => {
  const sample = statsSampleOf(response, 0);
  assert.equal(sample.cpuBusy, 18);
  assert.equal(sample.cpuTotal, 100);
});

test("traffic sums every interface but loopback", () => {
  const sample = statsSampleOf(response, 0);
  assert.equal(sample.rxBytes, 400);
  assert.equal(sample.txBytes, 250);
});

test("disk I/O counts whole disks once: partitions and loop devices are left out", () => {
  const sample = statsSampleOf(response, 0);
  assert.equal(sample.readBytes, 11 * 512);
  assert.equal(sample.writeBytes, 20 * 512);
});

test("the node's time is used, the receive time only when the node sent none", () => {
  assert.equal(statsSampleOf(response, 99).timeMs, 5000);
  assert.equal(statsSampleOf({ ...response, time: undefined }, 99).timeMs, 99);
});
