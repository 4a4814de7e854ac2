import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import { FakeRunner } from "./fake-runner.ts";
import type { HealthCheck } from "./health-check.ts";
import { ManualClock } from "./manual-clock.ts";
import type { RestartPolicy, Service } from "./service.ts";
import type { ServiceEvent } from "./service-event.ts";
import type { ServiceStatus } from "./service-status.ts";
import { Supervisor } from "./supervisor.ts";

/** Lets every pending promise continuation run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A supervisor on a manual clock, with every event it emits recorded. */
function harness(options: { eventBuffer?: number } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const supervisor = new Supervisor({ clock, ...options });
  const events: ServiceEvent[] = [];
  const recording = (async () => {
    for await (const event of supervisor.events()) events.push(event);
  })();
  const until = (id: string, condition: (status: ServiceStatus) => boolean): Promise<void> =>
    supervisor.waitFor(id, condition, AbortSignal.timeout(2_000));
  const status = (id: string): ServiceStatus => supervisor.list().find((entry) => entry.id === id)!;
  /** The states a service went through, ignoring the "Loaded" event. */
  const states = (id: string): string[] =>
    events.filter((event) => event.service === id && event.message !== "Loaded").map((event) => event.state);
  const close = async (): Promise<void> => {
    await supervisor.close();
    await recording;
    assert.equal(clock.pendingTimers, 0, "no timer is left behind after close()");
  };
  return { clock, supervisor, events, until, status, states, close };
}

function service(id: string, runner: FakeRunner, extra: Partial<Service> = {}): Service {
  return { id, runner, restart: "always", ...extra };
}

/** A health check the test turns on and off; it fails with "not ready" while off. */
function switchableHealth(timing: Partial<HealthCheck> = {}): HealthCheck & { healthy: boolean } {
  const check = {
    healthy: false,
    intervalMs: 1_000,
    timeoutMs: 500,
    initialDelayMs: 100,
    ...timing,
    check: async () => {
      if (!check.healthy) throw new Error("not ready");
    },
  };
  return check;
}

const running = (status: ServiceStatus): boolean => status.state === "running";

test("a service waits until its dependency runs and passes its health check", async () => {
  const h = harness();
  const health = switchableHealth();
  const a = new FakeRunner();
  const b = new FakeRunner();
  h.supervisor.load([service("a", a, { health }), service("b", b, { dependsOn: ["a"] })]);
  await h.supervisor.startAll();
  await h.until("a", running);
  assert.equal(h.status("a").healthy, undefined, "no check has answered yet");
  assert.equal(h.status("b").state, "waiting");
  assert.equal(h.status("b").message, "Waiting for service: a");

  await h.clock.advance(100);
  assert.equal(h.status("a").healthy, false);
  assert.equal(h.status("a").message, "Health check failed: not ready");
  assert.equal(h.status("b").state, "waiting", "running but unhealthy is not up");
  assert.equal(b.runs.length, 0);

  health.healthy = true;
  await h.clock.advance(1_000);
  await h.until("b", running);
  assert.equal(h.status("a").healthy, true);
  await flush();
  assert.deepEqual(h.states("b"), ["waiting", "preparing", "running"]);
  await h.close();
});

test("start(id) starts the dependencies it needs, and nothing else", async () => {
  const h = harness();
  h.supervisor.load([
    service("a", new FakeRunner()),
    service("b", new FakeRunner(), { dependsOn: ["a"] }),
    service("c", new FakeRunner()),
  ]);
  await h.supervisor.start("b");
  await h.until("b", running);
  assert.equal(h.status("a").state, "running");
  assert.equal(h.status("c").state, "stopped");
  await h.close();
});

test("a crashing service is restarted after 1, 2, 4 … s, then at the 30 s cap forever", async () => {
  const h = harness();
  const runner = new FakeRunner();
  h.supervisor.load([service("crashy", runner)]);
  await h.supervisor.start("crashy");
  const delays: number[] = [];
  for (let i = 0; i < 9; i++) {
    const run = await runner.run(i);
    run.crash("SIGSEGV");
    await h.until("crashy", (s) => s.state === "failed");
    const event = h.status("crashy").events.at(-1)!;
    assert.deepEqual(event.exit, { code: null, signal: "SIGSEGV" });
    assert.equal(event.restartCount, i + 1);
    assert.match(event.message, /^Process killed by SIGSEGV: restarting in \d+s$/);
    delays.push(event.nextDelayMs!);
    // Exact: one millisecond early nothing happens, on time the next run starts.
    await h.clock.advance(event.nextDelayMs! - 1);
    assert.equal(runner.runs.length, i + 1);
    await h.clock.advance(1);
    await runner.run(i + 1);
  }
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  await h.close();
});

test("a run that stayed up for resetAfterMs resets the backoff; a shorter one does not", async () => {
  const h = harness();
  const runner = new FakeRunner();
  h.supervisor.load([
    service("svc", runner, { backoff: { initialMs: 1_000, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 } }),
  ]);
  await h.supervisor.start("svc");
  // Each step: how long the run stays up before it crashes, and the delay the crash must get.
  const steps: Array<[uptimeMs: number, expectedDelayMs: number]> = [
    [0, 1_000],
    [0, 2_000],
    [59_999, 4_000],
    [60_000, 1_000],
    [0, 2_000],
  ];
  for (const [index, [uptime, expected]] of steps.entries()) {
    const run = await runner.run(index);
    await h.clock.advance(uptime);
    run.exitWith(1);
    await h.until("svc", (s) => s.state === "failed" && s.restartCount === index + 1);
    assert.equal(h.status("svc").events.at(-1)!.nextDelayMs, expected, `step ${index}`);
    await h.clock.advance(expected);
  }
  await h.close();
});

const policyCases: Array<[RestartPolicy, "code 0" | "code 1" | "SIGKILL", "finished" | "failed", boolean]> = [
  ["always", "code 0", "finished", true],
  ["always", "code 1", "failed", true],
  ["on-failure", "code 0", "finished", false],
  ["on-failure", "code 1", "failed", true],
  ["on-failure", "SIGKILL", "failed", true],
  ["never", "code 0", "finished", false],
  ["never", "code 1", "failed", false],
  ["never", "SIGKILL", "failed", false],
];
for (const [policy, end, state, restarts] of policyCases) {
  test(`restart ${policy}: a run ending with ${end} is ${state} and ${restarts ? "restarted" : "not restarted"}`, async () => {
    const h = harness();
    const runner = new FakeRunner();
    h.supervisor.load([service("svc", runner, { restart: policy })]);
    await h.supervisor.start("svc");
    const run = await runner.run(0);
    if (end === "SIGKILL") run.crash("SIGKILL");
    else run.exitWith(end === "code 0" ? 0 : 1);
    await h.until("svc", (s) => s.state === state);
    const last = h.status("svc").events.at(-1)!;
    assert.equal(last.nextDelayMs, restarts ? 1_000 : undefined);
    assert.equal(h.clock.pendingTimers, restarts ? 1 : 0);
    await h.clock.advance(1_000);
    await flush();
    assert.equal(runner.runs.length, restarts ? 2 : 1);
    await h.close();
  });
}

test("stopAll stops dependants before their dependencies, independent ones in parallel", async () => {
  const h = harness();
  // a <- b <- d, and a <- c: d and c go first (together), then b, then a.
  const runners = {
    a: new FakeRunner({ holdStop: true }),
    b: new FakeRunner({ holdStop: true }),
    c: new FakeRunner({ holdStop: true }),
    d: new FakeRunner({ holdStop: true }),
  };
  h.supervisor.load([
    service("a", runners.a),
    service("b", runners.b, { dependsOn: ["a"] }),
    service("c", runners.c, { dependsOn: ["a"] }),
    service("d", runners.d, { dependsOn: ["b"] }),
  ]);
  await h.supervisor.startAll();
  for (const id of ["a", "b", "c", "d"]) await h.until(id, running);
  const asked = (): string[] =>
    Object.entries(runners)
      .filter(([, runner]) => (runner.runs[0]?.stopRequests.length ?? 0) > 0)
      .map(([id]) => id);

  const stopped = h.supervisor.stopAll();
  await flush();
  assert.deepEqual(asked(), ["c", "d"]);
  runners.d.runs[0]!.crash("SIGTERM");
  await flush();
  assert.deepEqual(asked(), ["b", "c", "d"], "b goes once d is down, without waiting for c");
  runners.b.runs[0]!.crash("SIGTERM");
  await flush();
  assert.deepEqual(asked(), ["b", "c", "d"], "a waits for c too");
  runners.c.runs[0]!.crash("SIGTERM");
  await flush();
  assert.deepEqual(asked(), ["a", "b", "c", "d"]);
  runners.a.runs[0]!.crash("SIGTERM");
  await stopped;
  const order = h.events.filter((event) => event.state === "stopped" && event.message !== "Loaded");
  assert.deepEqual(
    order.map((event) => event.service),
    ["d", "b", "c", "a"],
  );
  assert.equal(order[0]!.message, "Stopped: process killed by SIGTERM");
  assert.deepEqual(runners.a.runs[0]!.stopRequests, [10_000], "the default grace period is 10 s");
  await h.close();
});

test("stop(id) stops its dependants first and leaves other services running", async () => {
  const h = harness();
  h.supervisor.load([
    service("a", new FakeRunner(), { stopTimeoutMs: 250 }),
    service("b", new FakeRunner(), { dependsOn: ["a"] }),
    service("c", new FakeRunner()),
  ]);
  await h.supervisor.startAll();
  for (const id of ["a", "b", "c"]) await h.until(id, running);
  await h.supervisor.stop("a");
  assert.deepEqual(
    h.supervisor.list().map((s) => [s.id, s.state]),
    [
      ["a", "stopped"],
      ["b", "stopped"],
      ["c", "running"],
    ],
  );
  await flush();
  const stops = h.events.filter((e) => e.state === "stopping");
  assert.deepEqual(
    stops.map((e) => e.service),
    ["b", "a"],
  );
  assert.equal(stops[1]!.message, "Stopping: SIGTERM, then SIGKILL after 250ms");
  await h.close();
});

test("restart(id) starts a fresh run at once with the backoff reset, and leaves dependants running", async () => {
  const h = harness();
  const a = new FakeRunner();
  const b = new FakeRunner();
  h.supervisor.load([service("a", a), service("b", b, { dependsOn: ["a"] })]);
  await h.supervisor.startAll();
  await h.until("b", running);
  (await a.run(0)).crash();
  await h.until("a", (s) => s.state === "failed");
  await h.clock.advance(1_000);
  (await a.run(1)).crash();
  await h.until("a", (s) => s.state === "failed" && s.restartCount === 2);
  assert.equal(h.status("a").events.at(-1)!.nextDelayMs, 2_000);

  await h.supervisor.restart("a");
  await a.run(2);
  await h.until("a", running);
  assert.equal(h.status("a").restartCount, 0);
  assert.equal(b.runs.length, 1);
  assert.equal(b.runs[0]!.stopRequests.length, 0, "the dependant was not stopped");
  a.runs[2]!.crash();
  await h.until("a", (s) => s.state === "failed");
  assert.equal(h.status("a").events.at(-1)!.nextDelayMs, 1_000);
  await h.close();
});

test("a failed preparation or start is a failed run, retried with backoff", async () => {
  const h = harness();
  const runner = new FakeRunner();
  let preparations = 0;
  runner.failNextStart(new Error("spawn /usr/bin/missing ENOENT"));
  h.supervisor.load([
    service("svc", runner, {
      prepare: async () => {
        preparations++;
        if (preparations === 2) throw new Error("disk full");
      },
    }),
  ]);
  await h.supervisor.start("svc");
  await h.until("svc", (s) => s.state === "failed");
  assert.equal(h.status("svc").message, "Failed to start: spawn /usr/bin/missing ENOENT: restarting in 1s");
  await h.clock.advance(1_000);
  await h.until("svc", (s) => s.state === "failed" && s.restartCount === 2);
  assert.equal(h.status("svc").message, "Preparation failed: disk full: restarting in 2s");
  await h.clock.advance(2_000);
  await h.until("svc", running);
  await flush();
  assert.deepEqual(h.states("svc"), ["preparing", "failed", "preparing", "failed", "preparing", "running"]);
  await h.close();
});

test("a skip check that throws is a failed run too", async () => {
  const h = harness();
  h.supervisor.load([
    service("svc", new FakeRunner(), {
      skip: () => {
        throw new Error("cannot read the machine config");
      },
    }),
  ]);
  await h.supervisor.start("svc");
  await h.until("svc", (s) => s.state === "failed");
  assert.equal(
    h.status("svc").message,
    "Cannot tell whether to skip: cannot read the machine config: restarting in 1s",
  );
  await h.close();
});

test("a stop does not wait for a preparation that ignores its signal", async () => {
  const h = harness();
  const runner = new FakeRunner();
  h.supervisor.load([service("svc", runner, { prepare: () => new Promise(() => {}) })]);
  await h.supervisor.start("svc");
  await h.until("svc", (s) => s.state === "preparing");
  await h.supervisor.stop("svc");
  assert.equal(h.status("svc").state, "stopped");
  assert.equal(runner.runs.length, 0);
  await h.close();
});

test("a skipped service counts as up for its dependants", async () => {
  const h = harness();
  const skipped = new FakeRunner();
  h.supervisor.load([
    service("trustd", skipped, { skip: () => "not a control-plane node" }),
    service("apid", new FakeRunner(), { dependsOn: ["trustd"] }),
  ]);
  await h.supervisor.startAll();
  await h.until("apid", running);
  assert.equal(h.status("trustd").state, "skipped");
  assert.equal(h.status("trustd").message, "Skipped: not a control-plane node");
  assert.equal(skipped.runs.length, 0);
  await h.close();
});

test("a health check that does not answer in time counts as failed", async () => {
  const h = harness();
  const never: HealthCheck = {
    intervalMs: 1_000,
    timeoutMs: 500,
    initialDelayMs: 0,
    check: () => new Promise(() => {}),
  };
  h.supervisor.load([service("svc", new FakeRunner(), { health: never })]);
  await h.supervisor.start("svc");
  await h.until("svc", running);
  await h.clock.advance(500);
  await h.until("svc", (s) => s.healthy === false);
  assert.equal(h.status("svc").message, "Health check timed out: no answer within 500 ms");
  await h.close();
});

test("health changes are events; a repeated result is not", async () => {
  const h = harness();
  const health = switchableHealth({ initialDelayMs: 0 });
  health.healthy = true;
  h.supervisor.load([service("svc", new FakeRunner(), { health })]);
  await h.supervisor.start("svc");
  await h.until("svc", running);
  await h.clock.advance(0);
  await h.until("svc", (s) => s.healthy === true);
  await h.clock.advance(3_000);
  health.healthy = false;
  await h.clock.advance(1_000);
  await flush();
  const healthEvents = h.events
    .filter((e) => e.service === "svc" && e.state === "running")
    .map((e) => e.healthy);
  assert.deepEqual(healthEvents, [undefined, true, false]);
  await h.close();
});

test("stopping a service waiting for a dependency or out a backoff leaves no timer behind", async () => {
  const h = harness();
  const health = switchableHealth();
  const runner = new FakeRunner();
  h.supervisor.load([
    service("a", new FakeRunner(), { health }),
    service("b", new FakeRunner(), { dependsOn: ["a"] }),
    service("c", runner),
  ]);
  await h.supervisor.startAll();
  await h.until("b", (s) => s.state === "waiting");
  (await runner.run(0)).crash();
  await h.until("c", (s) => s.state === "failed");
  await h.supervisor.stop("b");
  await h.supervisor.stop("c");
  assert.equal(h.status("b").state, "stopped");
  assert.equal(h.status("c").state, "stopped");
  await h.supervisor.stopAll();
  assert.equal(h.clock.pendingTimers, 0);
  await h.close();
});

test("dependency cycles are refused with the cycle named, and nothing is loaded", () => {
  const supervisor = new Supervisor({ clock: new ManualClock() });
  const runner = new FakeRunner();
  assert.throws(
    () =>
      supervisor.load([
        service("a", runner, { dependsOn: ["c"] }),
        service("b", runner, { dependsOn: ["a"] }),
        service("c", runner, { dependsOn: ["b"] }),
      ]),
    (error: unknown) =>
      isSteleError(error) &&
      error.code === "invalid-argument" &&
      error.message === "Service dependency cycle: a -> c -> b -> a" &&
      error.hint !== undefined,
  );
  assert.deepEqual(supervisor.list(), []);
});

test("an unknown dependency is refused, naming both services", () => {
  const supervisor = new Supervisor({ clock: new ManualClock() });
  assert.throws(
    () => supervisor.load([service("kubelet", new FakeRunner(), { dependsOn: ["containerd"] })]),
    (error: unknown) =>
      isSteleError(error) &&
      error.message === 'Unknown dependency of service "kubelet": no service "containerd" is loaded',
  );
});

const invalidServices: Array<[string, Partial<Service>, RegExp]> = [
  ["an id with a slash", { id: "../etc" }, /^Invalid service "\.\.\/etc": the id must be/],
  [
    "an unknown restart policy",
    { restart: "sometimes" as RestartPolicy },
    /unknown restart policy "sometimes"/,
  ],
  ["a negative stop timeout", { stopTimeoutMs: -1 }, /stopTimeoutMs must be a non-negative number, got -1/],
  [
    "a backoff cap below its start",
    { backoff: { initialMs: 5_000, maxMs: 1_000 } },
    /maxMs 1000 is below initialMs 5000/,
  ],
];
for (const [what, override, message] of invalidServices) {
  test(`a service with ${what} is refused when loaded`, () => {
    const supervisor = new Supervisor({ clock: new ManualClock() });
    assert.throws(
      () => supervisor.load([{ ...service("svc", new FakeRunner()), ...override }]),
      (error: unknown) => isSteleError(error) && message.test(error.message) && error.hint !== undefined,
    );
  });
}

test("a stopped service's definition can be replaced; a started one's cannot", async () => {
  const h = harness();
  const first = new FakeRunner();
  const second = new FakeRunner();
  h.supervisor.load([service("kubelet", first)]);
  h.supervisor.load([service("kubelet", second)]);
  await h.supervisor.start("kubelet");
  await h.until("kubelet", running);
  assert.equal(first.runs.length, 0);
  assert.equal(second.runs.length, 1);
  assert.throws(
    () => h.supervisor.load([service("kubelet", first)]),
    (error: unknown) => isSteleError(error) && error.code === "failed-precondition",
  );
  await h.close();
});

test("list() shows each service's latest state and its recent events", async () => {
  const h = harness();
  const runner = new FakeRunner();
  h.supervisor.load([service("svc", runner)]);
  await h.supervisor.start("svc");
  await h.until("svc", running);
  const [status] = h.supervisor.list();
  assert.equal(status!.state, "running");
  assert.equal(status!.pid, runner.runs[0]!.pid);
  assert.equal(status!.message, `Started: pid ${runner.runs[0]!.pid}`);
  assert.deepEqual(
    status!.events.map((e) => e.state),
    ["stopped", "preparing", "running"],
  );
  assert.equal(status!.since, h.clock.now());
  await h.close();
});

test("events(): a consumer that keeps up gets every event in order; a stuck one is told it overflowed", async () => {
  const h = harness({ eventBuffer: 4 });
  const stuck = h.supervisor.events();
  h.supervisor.load([service("a", new FakeRunner()), service("b", new FakeRunner())]);
  await h.supervisor.startAll();
  await h.until("a", running);
  await h.until("b", running);
  await flush();
  assert.equal(h.events.length, 6, "the recording consumer kept up and got all 6 events");
  const received: ServiceEvent[] = [];
  await assert.rejects(
    (async () => {
      for await (const event of stuck) received.push(event);
    })(),
    (error: unknown) =>
      isSteleError(error) && error.code === "busy" && /fell more than 4 events behind/.test(error.message),
  );
  assert.deepEqual(received, h.events.slice(0, 4), "what was buffered is delivered before the error");
  await h.close();
});

test("waitFor gives up when its signal aborts, saying where the service stands", async () => {
  const h = harness();
  h.supervisor.load([service("a", new FakeRunner(), { health: switchableHealth() })]);
  h.supervisor.load([service("b", new FakeRunner(), { dependsOn: ["a"] })]);
  await h.supervisor.start("b");
  await assert.rejects(
    h.supervisor.waitFor("b", running, AbortSignal.timeout(20)),
    (error: unknown) =>
      isSteleError(error) &&
      error.message === 'Gave up waiting for service "b": it is waiting (Waiting for service: a)',
  );
  await h.close();
});

test("after close() every service is stopped, event streams end and calls are refused", async () => {
  const h = harness();
  h.supervisor.load([service("a", new FakeRunner())]);
  await h.supervisor.start("a");
  await h.until("a", running);
  await h.close();
  assert.equal(h.status("a").state, "stopped");
  const late = await h.supervisor.events().next();
  assert.equal(late.done, true);
  await assert.rejects(
    h.supervisor.start("a"),
    (error: unknown) => isSteleError(error) && error.code === "failed-precondition",
  );
  await assert.rejects(h.supervisor.restart("nope"), (error: unknown) => isSteleError(error));
  assert.throws(
    () => h.supervisor.load([]),
    (error: unknown) => isSteleError(error),
  );
});

test("an unknown service id is refused with the loaded ones listed", async () => {
  const h = harness();
  h.supervisor.load([service("apid", new FakeRunner())]);
  await assert.rejects(
    h.supervisor.start("apd"),
    (error: unknown) =>
      isSteleError(error) &&
      error.code === "not-found" &&
      error.message === 'Unknown service: "apd"' &&
      error.hint === "Loaded services are: apid",
  );
  await h.close();
});
