/**
 * StatsService end to end: a real machined in-process, real gRPC calls over its unix socket with the
 * generated client, answers read from this host's /proc. What `stelectl dashboard` relies on.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { after, before, describe, test } from "node:test";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import {
  StatsServiceClient,
  type WatchStatsResponse,
} from "../../../machinery/api/machine/v1alpha1/stats.ts";
import type { Machined } from "../machined.ts";
import { call, collect, type MachinedFixture, startMachined } from "../testing/machined-fixture.ts";
import {
  MAX_WATCH_INTERVAL_MS,
  MIN_WATCH_INTERVAL_MS,
  statsServiceHandlers,
  watchIntervalMs,
} from "./stats-service.ts";

let node: MachinedFixture;
let stats: StatsServiceClient;

before(async () => {
  // Maintenance mode (no config) is enough: statistics do not depend on the configuration.
  node = await startMachined(undefined);
  stats = new StatsServiceClient(`unix://${node.running.server.socketPath}`, credentials.createInsecure());
});

after(async () => {
  stats.close();
  await node.close();
});

describe("unary statistics", () => {
  test("CPUStats reports the total and at least one CPU, in jiffies of 100 a second", async () => {
    const reply = (await call(stats.cpuStats.bind(stats), {})).messages[0]!;
    assert.ok(reply.metadata?.hostname);
    assert.equal(reply.clockTicksPerSecond, 100);
    assert.equal(reply.total?.name, "cpu");
    assert.ok(reply.total!.user + reply.total!.system + reply.total!.idle > 0n);
    assert.ok(reply.cpus.length >= 1);
    assert.ok(reply.cpus.every((cpu) => /^cpu\d+$/.test(cpu.name)));
    assert.ok(reply.bootTime !== undefined && reply.bootTime.getTime() < Date.now());
    assert.ok(reply.processesCreated > 0n);
  });

  test("LoadAvg reports non-negative averages and a thread count including machined's", async () => {
    const load = (await call(stats.loadAvg.bind(stats), {})).messages[0]!.load!;
    for (const average of [load.load1, load.load5, load.load15]) assert.ok(average >= 0);
    assert.ok(load.totalTasks >= 1);
    assert.ok(load.runningTasks <= load.totalTasks);
  });

  test("MemoryStats reports a total larger than what is free", async () => {
    const meminfo = (await call(stats.memoryStats.bind(stats), {})).messages[0]!.meminfo!;
    assert.ok(meminfo.memTotal > 0n);
    assert.ok(meminfo.memFree <= meminfo.memTotal);
    assert.ok(meminfo.memAvailable <= meminfo.memTotal);
  });

  test("DiskStats reports the usage of / and /var, and the kernel's block devices", async () => {
    const reply = (await call(stats.diskStats.bind(stats), {})).messages[0]!;
    assert.deepEqual(
      reply.filesystems.map((fs) => fs.path),
      ["/", "/var"],
    );
    for (const fs of reply.filesystems) {
      assert.ok(fs.totalBytes > 0n, fs.path);
      assert.ok(fs.freeBytes <= fs.totalBytes, fs.path);
    }
    // A container or CI host may have no block device at all; those it has are named and numbered.
    for (const device of reply.devices) assert.ok(device.name.length > 0 && device.major >= 0);
  });

  test("NetworkStats reports the loopback interface", async () => {
    const interfaces = (await call(stats.networkStats.bind(stats), {})).messages[0]!.interfaces;
    const lo = interfaces.find((i) => i.name === "lo");
    assert.ok(lo, `lo in ${interfaces.map((i) => i.name).join(", ")}`);
  });

  test("Mounts lists the root mount and /proc", async () => {
    const mounts = (await call(stats.mounts.bind(stats), {})).messages[0]!.mounts;
    assert.ok(mounts.some((m) => m.target === "/"));
    const proc = mounts.find((m) => m.target === "/proc");
    assert.equal(proc?.fstype, "proc");
  });
});

describe("WatchStats", () => {
  test("sends a sample every 250 ms with increasing times, until the client cancels", async () => {
    const started = Date.now();
    const stream = stats.watchStats({ interval: { seconds: 0n, nanos: 250_000_000 } });
    const samples = await collect(stream, (messages) => messages.length >= 3);
    const elapsed = Date.now() - started;
    assert.equal(samples.length, 3);
    const times = samples.map((s) => s.time!.getTime());
    assert.ok(times[0]! < times[1]! && times[1]! < times[2]!, times.join(" "));
    // Two intervals between three samples; a timer may fire late, never early.
    assert.ok(times[2]! - times[0]! >= 2 * 250 - 5, times.join(" "));
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    for (const sample of samples) assertSaneSample(sample);
    // CPU time only grows.
    assert.ok(samples[2]!.cpu!.user >= samples[0]!.cpu!.user);
  });

  test("the server stops sampling when the client cancels", async () => {
    // The handler driven directly, to see what the server writes after the cancel, which a client cannot.
    const written: WatchStatsResponse[] = [];
    let ended = false;
    const call = Object.assign(new EventEmitter(), {
      request: { interval: { seconds: 0n, nanos: 250_000_000 } },
      write(message: WatchStatsResponse) {
        written.push(message);
        if (written.length === 2) call.emit("cancelled");
        return true;
      },
      end() {
        ended = true;
      },
    });
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const machined = {
      logger: quiet,
      hostname: () => "node-a",
      platform: { mode: "metal", paths: { ephemeral: "/" } },
    } as unknown as Machined;
    const watch = statsServiceHandlers(machined).watchStats as (call: unknown) => void;
    watch(call);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(written.length, 2);
    assert.equal(ended, false, "a cancelled call is not ended by the server");
  });

  test("an interval outside 250 ms to 60 s is refused as an invalid argument", async () => {
    for (const interval of [
      { seconds: 0n, nanos: 100_000_000 },
      { seconds: 61n, nanos: 0 },
    ]) {
      const stream = stats.watchStats({ interval });
      await assert.rejects(collect(stream), (error: ServiceError) => {
        assert.equal(error.code, status.INVALID_ARGUMENT);
        assert.match(error.details, /Sampling interval out of range/);
        return true;
      });
    }
  });
});

describe("watchIntervalMs", () => {
  test("an unset or zero interval means 1 s", () => {
    assert.equal(watchIntervalMs(undefined), 1000);
    assert.equal(watchIntervalMs({ seconds: 0n, nanos: 0 }), 1000);
  });

  test("the bounds themselves are accepted", () => {
    assert.equal(watchIntervalMs({ seconds: 0n, nanos: MIN_WATCH_INTERVAL_MS * 1e6 }), 250);
    assert.equal(watchIntervalMs({ seconds: BigInt(MAX_WATCH_INTERVAL_MS / 1000), nanos: 0 }), 60_000);
    assert.equal(watchIntervalMs({ seconds: 1n, nanos: 500_000_000 }), 1500);
  });

  test("a negative interval is refused", () => {
    assert.throws(() => watchIntervalMs({ seconds: -1n, nanos: 0 }), /Sampling interval out of range/);
  });
});

function assertSaneSample(sample: WatchStatsResponse): void {
  assert.ok(sample.metadata?.hostname);
  assert.equal(sample.clockTicksPerSecond, 100);
  assert.equal(sample.cpu?.name, "cpu");
  assert.ok(sample.memory!.memTotal > 0n);
  assert.ok(sample.load!.totalTasks >= 1);
  assert.ok(sample.interfaces.some((i) => i.name === "lo"));
  // The container platform counts machined and its descendants: this test process at least.
  assert.ok(sample.processCount >= 1);
}
