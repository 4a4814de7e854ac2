import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { isSteleError } from "../machinery/errors.ts";
import type { Clock } from "./clock.ts";
import type { Controller, ControllerRuntimeAdapter } from "./controller.ts";
import { ControllerRuntime } from "./controller-runtime.ts";
import type { Logger } from "./logger.ts";
import type { Resource } from "./resource.ts";
import { ResourceStore } from "./resource-store.ts";
import { defineResourceType, type ResourceType } from "./resource-type.ts";

// A chain as machined will have it: config (written by the API) → spec → status.
const HostnameConfigs = defineResourceType({
  type: "HostnameConfigs.config.stele.dev",
  defaultNamespace: "config",
  schema: z.object({ hostname: z.string(), domain: z.string() }),
});
const HostnameSpecs = defineResourceType({
  type: "HostnameSpecs.net.stele.dev",
  defaultNamespace: "network",
  schema: z.object({ fqdn: z.string() }),
});
const HostnameStatuses = defineResourceType({
  type: "HostnameStatuses.net.stele.dev",
  aliases: ["hostname"],
  defaultNamespace: "network",
  schema: z.object({ fqdn: z.string(), applied: z.boolean() }),
});

/** Turns each config into a spec; cleans up specs whose config is gone. */
const specController: Controller = {
  name: "network.HostnameSpecController",
  inputs: [{ type: HostnameConfigs, kind: "weak" }],
  outputs: [{ type: HostnameSpecs, kind: "exclusive" }],
  async run(rt, _log, signal) {
    for await (const _ of rt.changes(signal)) {
      const configs = rt.list(HostnameConfigs);
      for (const { metadata, spec } of configs) {
        await rt.modify(HostnameSpecs, metadata.id, {
          transform: () => ({ fqdn: `${spec.hostname}.${spec.domain}` }),
        });
      }
      rt.cleanupOutputs(configs.map((c) => c.metadata.id));
    }
  },
};

/**
 * "Applies" each spec and reports a status. Holds a finalizer on the specs (a strong input), so a
 * spec is destroyed only after its status is gone: the COSI teardown dance.
 */
const statusController: Controller = {
  name: "network.HostnameStatusController",
  inputs: [{ type: HostnameSpecs, kind: "strong" }],
  outputs: [{ type: HostnameStatuses, kind: "exclusive" }],
  async run(rt, _log, signal) {
    for await (const _ of rt.changes(signal)) {
      const specs = rt.list(HostnameSpecs);
      const running = specs.filter((s) => s.metadata.phase === "running");
      for (const { metadata, spec } of running) {
        rt.addFinalizer(HostnameSpecs, metadata.id);
        await rt.modify(HostnameStatuses, metadata.id, {
          transform: () => ({ fqdn: spec.fqdn, applied: true }),
        });
      }
      // Statuses of specs going away (or gone) are destroyed first; only then are the specs let go.
      rt.cleanupOutputs(running.map((s) => s.metadata.id));
      for (const { metadata } of specs) {
        if (metadata.phase === "tearing-down") rt.removeFinalizer(HostnameSpecs, metadata.id);
      }
    }
  },
};

/** Resolves once `predicate` holds for the list of a type, failing after a second instead of hanging. */
async function waitForList<T>(
  store: ResourceStore,
  type: ResourceType<T>,
  predicate: (resources: Resource<T>[]) => boolean,
): Promise<Resource<T>[]> {
  if (predicate(store.list(type))) return store.list(type);
  const timeout = new AbortController();
  // A timer cleared on the way out, so that tests counting timers do not see this one.
  const timer = setTimeout(() => timeout.abort(), 2000);
  try {
    for await (const _ of store.watch(type, { signal: timeout.signal })) {
      const resources = store.list(type);
      if (predicate(resources)) return resources;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `Timed out waiting for ${type.type}: ${JSON.stringify(store.list(type).map((r) => r.spec))}`,
  );
}

/** Polls a condition across event-loop turns (for runtime state that emits no resource events). */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never happened: ${what}`);
}

/** A clock whose sleeps return at once and move time forward, recording how long they were. */
function fakeClock(): Clock & { time: number; sleeps: number[] } {
  return {
    time: 0,
    sleeps: [],
    now() {
      return this.time;
    },
    async sleep(ms) {
      this.sleeps.push(ms);
      this.time += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

function recordingLogger(): Logger & {
  records: Array<{ level: string; fields: Record<string, unknown>; message: string }>;
} {
  const records: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    records.push({ level, fields, message });
  };
  return { records, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("a two-controller chain", () => {
  test("converges on create, update and destroy of its input, through a finalizer", async () => {
    const store = new ResourceStore();
    const runtime = new ControllerRuntime(store);
    runtime.register(specController);
    runtime.register(statusController);
    const destroyed: string[] = [];
    for (const type of [HostnameSpecs, HostnameStatuses] as ResourceType<unknown>[]) {
      store.subscribe(type, {
        onEvent: (e) => {
          if (e.kind === "destroyed")
            destroyed.push(`${e.resource.metadata.type} ${e.resource.metadata.phase}`);
        },
      });
    }
    runtime.start();
    try {
      store.create(HostnameConfigs, "node", { spec: { hostname: "node-1", domain: "example.org" } });
      let statuses = await waitForList(store, HostnameStatuses, (l) => l.length === 1);
      assert.deepEqual(statuses[0]!.spec, { fqdn: "node-1.example.org", applied: true });
      assert.equal(statuses[0]!.metadata.owner, "network.HostnameStatusController");
      assert.deepEqual(store.get(HostnameSpecs, "node")!.metadata.finalizers, [
        "network.HostnameStatusController",
      ]);

      store.update(HostnameConfigs, "node", {
        expectedVersion: 1,
        spec: { hostname: "node-2", domain: "example.org" },
      });
      statuses = await waitForList(store, HostnameStatuses, (l) => l[0]?.spec.fqdn === "node-2.example.org");

      store.destroy(HostnameConfigs, "node");
      await waitForList(store, HostnameSpecs, (l) => l.length === 0);
      assert.deepEqual(
        destroyed,
        ["HostnameStatuses.net.stele.dev tearing-down", "HostnameSpecs.net.stele.dev tearing-down"],
        "the status went first, and the spec waited for it in tearing-down",
      );
      assert.deepEqual(
        runtime.status().map((s) => [s.name, s.state, s.failures]),
        [
          ["network.HostnameSpecController", "running", 0],
          ["network.HostnameStatusController", "running", 0],
        ],
      );
    } finally {
      await runtime.stop();
    }
    assert.deepEqual(
      runtime.status().map((s) => s.state),
      ["stopped", "stopped"],
    );
  });

  test("the dependency graph shows the chain, and prints as dot", () => {
    const runtime = new ControllerRuntime(new ResourceStore());
    runtime.register(statusController);
    runtime.register(specController);
    const graph = runtime.dependencyGraph();
    assert.deepEqual(graph.controllers, [
      "network.HostnameSpecController",
      "network.HostnameStatusController",
    ]);
    assert.deepEqual(graph.types, [
      "HostnameConfigs.config.stele.dev",
      "HostnameSpecs.net.stele.dev",
      "HostnameStatuses.net.stele.dev",
    ]);
    assert.equal(
      runtime.formatGraphDot(),
      `digraph controllers {
  rankdir=LR;
  node [fontname="Helvetica"];
  "type/HostnameConfigs.config.stele.dev" [shape=ellipse, label="HostnameConfigs.config.stele.dev"];
  "type/HostnameSpecs.net.stele.dev" [shape=ellipse, label="HostnameSpecs.net.stele.dev"];
  "type/HostnameStatuses.net.stele.dev" [shape=ellipse, label="HostnameStatuses.net.stele.dev"];
  "controller/network.HostnameSpecController" [shape=box, label="network.HostnameSpecController"];
  "controller/network.HostnameStatusController" [shape=box, label="network.HostnameStatusController"];
  "type/HostnameConfigs.config.stele.dev" -> "controller/network.HostnameSpecController" [style=dashed, label="weak\\nns config"];
  "controller/network.HostnameSpecController" -> "type/HostnameSpecs.net.stele.dev" [style=bold, label="exclusive\\nns network"];
  "type/HostnameSpecs.net.stele.dev" -> "controller/network.HostnameStatusController" [style=solid, label="strong\\nns network"];
  "controller/network.HostnameStatusController" -> "type/HostnameStatuses.net.stele.dev" [style=bold, label="exclusive\\nns network"];
}
`,
    );
  });
});

describe("declared inputs and outputs are enforced", () => {
  const Secrets = defineResourceType<{ key: string }>({
    type: "Secrets.secrets.stele.dev",
    defaultNamespace: "secrets",
  });

  /** Runs one reconcile of a controller with the given declarations and returns what `act` threw. */
  async function attempt(
    declarations: Pick<Controller, "inputs" | "outputs">,
    act: (rt: ControllerRuntimeAdapter) => unknown,
  ): Promise<unknown> {
    const store = new ResourceStore();
    store.create(Secrets, "s", { spec: { key: "k" } });
    store.create(HostnameConfigs, "node", { spec: { hostname: "h", domain: "d" } });
    let thrown: unknown = "nothing thrown";
    const runtime = new ControllerRuntime(store);
    runtime.register({
      name: "test.ProbeController",
      ...declarations,
      async run(rt) {
        try {
          await act(rt);
        } catch (error) {
          thrown = error;
        }
      },
    });
    runtime.start();
    await eventually(() => runtime.status()[0]?.state === "finished", "the probe finished");
    await runtime.stop();
    return thrown;
  }

  const none = { inputs: [], outputs: [] };
  const cases: Array<
    [string, Pick<Controller, "inputs" | "outputs">, (rt: ControllerRuntimeAdapter) => unknown, RegExp]
  > = [
    [
      "reading an undeclared type",
      none,
      (rt) => rt.get(Secrets, "s"),
      /cannot read Secrets.*not a declared input/,
    ],
    ["listing an undeclared type", none, (rt) => rt.list(Secrets), /cannot read Secrets/],
    [
      "reading a declared type in another namespace",
      { inputs: [{ type: Secrets, kind: "weak" }], outputs: [] },
      (rt) => rt.list(Secrets, { namespace: "other" }),
      /namespace other/,
    ],
    [
      "reading another id than the declared one",
      { inputs: [{ type: Secrets, id: "t", kind: "weak" }], outputs: [] },
      (rt) => rt.get(Secrets, "s"),
      /cannot read id "s"/,
    ],
    [
      "writing an input",
      { inputs: [{ type: Secrets, kind: "strong" }], outputs: [] },
      (rt) => rt.create(Secrets, "x", { spec: { key: "k" } }),
      /cannot write Secrets.*not a declared output/,
    ],
    [
      "putting a finalizer on a weak input",
      { inputs: [{ type: Secrets, kind: "weak" }], outputs: [] },
      (rt) => rt.addFinalizer(Secrets, "s"),
      /not a declared strong input/,
    ],
    [
      "updating a resource someone else owns",
      { inputs: [], outputs: [{ type: HostnameConfigs, kind: "shared" }] },
      (rt) =>
        rt.update(HostnameConfigs, "node", { expectedVersion: 1, spec: { hostname: "x", domain: "d" } }),
      /owned by no controller, not controller "test.ProbeController"/,
    ],
  ];
  for (const [what, declarations, act, message] of cases) {
    test(`${what} throws permission-denied`, async () => {
      const thrown = await attempt(declarations, act);
      assert.ok(isSteleError(thrown), `expected a SteleError, got ${String(thrown)}`);
      assert.equal(thrown.code, "permission-denied");
      assert.match(thrown.message, message);
    });
  }

  test("declared reads and writes work, and writes are owned by the controller", async () => {
    const thrown = await attempt(
      {
        inputs: [{ type: Secrets, id: "s", kind: "strong" }],
        outputs: [{ type: HostnameStatuses, kind: "exclusive" }],
      },
      (rt) => {
        assert.deepEqual(
          rt.list(Secrets).map((r) => r.metadata.id),
          ["s"],
        );
        rt.addFinalizer(Secrets, "s");
        const written = rt.create(HostnameStatuses, "h", { spec: { fqdn: "f", applied: false } });
        assert.equal(written.metadata.owner, "test.ProbeController");
        assert.equal(rt.get(HostnameStatuses, "h")?.spec.fqdn, "f", "outputs are readable");
      },
    );
    assert.equal(thrown, "nothing thrown");
  });

  test("an adapter used after its run ended refuses to write", async () => {
    const store = new ResourceStore();
    let leaked: ControllerRuntimeAdapter | undefined;
    const runtime = new ControllerRuntime(store);
    runtime.register({
      name: "test.LeakyController",
      inputs: [],
      outputs: [{ type: HostnameStatuses, kind: "exclusive" }],
      async run(rt) {
        leaked = rt;
      },
    });
    runtime.start();
    await eventually(
      () => leaked !== undefined && runtime.status()[0]?.state === "finished",
      "the run ended",
    );
    await runtime.stop();
    assert.throws(
      () => leaked!.create(HostnameStatuses, "h", { spec: { fqdn: "f", applied: true } }),
      (error) => isSteleError(error) && error.code === "failed-precondition",
    );
  });
});

describe("registration", () => {
  const Things = defineResourceType<unknown>({ type: "Things.test.stele.dev", defaultNamespace: "test" });
  const writer = (name: string, kind: "exclusive" | "shared"): Controller => ({
    name,
    inputs: [],
    outputs: [{ type: Things, kind }],
    async run() {},
  });
  const cases: Array<["exclusive" | "shared", "exclusive" | "shared", boolean]> = [
    ["exclusive", "exclusive", false],
    ["exclusive", "shared", false],
    ["shared", "exclusive", false],
    ["shared", "shared", true],
  ];
  for (const [first, second, allowed] of cases) {
    test(`a ${second} output ${allowed ? "may" : "may not"} join a ${first} output of the same type`, () => {
      const runtime = new ControllerRuntime(new ResourceStore());
      runtime.register(writer("test.A", first));
      const register = () => runtime.register(writer("test.B", second));
      if (allowed) register();
      else {
        assert.throws(register, (error) => {
          assert.ok(isSteleError(error) && error.code === "already-exists");
          assert.match(error.message, /"test\.B".*Things\.test\.stele\.dev.*"test\.A"/);
          return true;
        });
        assert.deepEqual(
          runtime.status().map((s) => s.name),
          ["test.A"],
        );
      }
    });
  }

  test("two controllers may not share a name", () => {
    const runtime = new ControllerRuntime(new ResourceStore());
    runtime.register(writer("test.A", "shared"));
    assert.throws(
      () => runtime.register(writer("test.A", "shared")),
      (error) => isSteleError(error) && error.code === "already-exists",
    );
  });

  test("a controller registered while running starts at once; a stopped runtime takes no more", async () => {
    const runtime = new ControllerRuntime(new ResourceStore());
    runtime.start();
    runtime.register(writer("test.Late", "shared"));
    await eventually(() => runtime.status()[0]?.state === "finished", "the late controller ran");
    await runtime.stop();
    assert.throws(
      () => runtime.register(writer("test.Later", "shared")),
      (error) => isSteleError(error) && error.code === "failed-precondition",
    );
  });
});

describe("failures and restarts", () => {
  test("a crashing controller is restarted with doubling backoff, logged and counted, and the runtime stays up", async () => {
    const clock = fakeClock();
    const logger = recordingLogger();
    const store = new ResourceStore();
    const runtime = new ControllerRuntime(store, { clock, logger });
    let runs = 0;
    runtime.register({
      name: "test.FlakyController",
      inputs: [],
      outputs: [],
      async run() {
        runs++;
        if (runs <= 4) throw new Error(`crash ${runs}`);
      },
    });
    runtime.register(specController);
    runtime.register(statusController);
    runtime.start();
    try {
      await eventually(
        () => runtime.status().find((s) => s.name === "test.FlakyController")?.state === "finished",
        "recovery",
      );
      assert.deepEqual(clock.sleeps, [100, 200, 400, 800]);
      const flaky = runtime.status().find((s) => s.name === "test.FlakyController")!;
      assert.equal(flaky.failures, 4);
      assert.equal(flaky.lastError, "crash 4");
      const errors = logger.records.filter((r) => r.level === "error");
      assert.deepEqual(
        errors.map((r) => [r.fields["controller"], r.fields["restartInMs"], r.message]),
        [1, 2, 3, 4].map((n) => [
          "test.FlakyController",
          100 * 2 ** (n - 1),
          `Controller failed: crash ${n}`,
        ]),
      );

      store.create(HostnameConfigs, "node", { spec: { hostname: "up", domain: "example.org" } });
      await waitForList(store, HostnameStatuses, (l) => l[0]?.spec.fqdn === "up.example.org");
    } finally {
      await runtime.stop();
    }
  });

  test("the backoff stops doubling at 30 s, and starts again at 100 ms after a long healthy run", async () => {
    const clock = fakeClock();
    const runtime = new ControllerRuntime(new ResourceStore(), { clock });
    let runs = 0;
    runtime.register({
      name: "test.CrashLoopController",
      inputs: [],
      outputs: [],
      async run() {
        runs++;
        if (runs === 13) clock.time += 31_000; // ran fine for a while before failing
        if (runs <= 14) throw new Error("crash");
      },
    });
    runtime.start();
    await eventually(() => runtime.status()[0]?.state === "finished", "the loop ended");
    await runtime.stop();
    assert.deepEqual(
      clock.sleeps,
      [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000, 100, 200],
    );
  });

  test("stop() during a real backoff wait returns promptly and leaves no timer behind", async () => {
    const before = activeTimers();
    const runtime = new ControllerRuntime(new ResourceStore(), { backoff: { baseMs: 60_000 } });
    runtime.register({
      name: "test.CrashController",
      inputs: [],
      outputs: [],
      async run() {
        throw new Error("crash");
      },
    });
    runtime.start();
    await eventually(() => runtime.status()[0]?.state === "backoff", "the first failure");
    assert.equal(activeTimers(), before + 1, "the backoff wait is a timer");
    const started = performance.now();
    await runtime.stop();
    assert.ok(performance.now() - started < 1000);
    assert.equal(activeTimers(), before);
    assert.equal(runtime.status()[0]?.state, "stopped");
  });

  test("stop() gives up on a controller that ignores its signal, after stopTimeoutMs, and says so", async () => {
    const logger = recordingLogger();
    const runtime = new ControllerRuntime(new ResourceStore(), { logger, stopTimeoutMs: 20 });
    runtime.register({
      name: "test.DeafController",
      inputs: [],
      outputs: [],
      run: () => new Promise<void>(() => {}),
    });
    runtime.start();
    await runtime.stop();
    const last = logger.records.at(-1)!;
    assert.equal(last.level, "error");
    assert.deepEqual(last.fields["controllers"], ["test.DeafController"]);
  });
});

describe("change ticks", () => {
  test("a burst of input changes while the controller waits is one tick", async () => {
    const store = new ResourceStore();
    const seen: number[] = [];
    const runtime = new ControllerRuntime(store);
    runtime.register({
      name: "test.CountingController",
      inputs: [{ type: HostnameConfigs, kind: "weak" }],
      outputs: [],
      async run(rt, _log, signal) {
        for await (const _ of rt.changes(signal)) seen.push(rt.list(HostnameConfigs).length);
      },
    });
    runtime.start();
    try {
      await eventually(() => seen.length === 1, "the first tick");
      for (let i = 0; i < 100; i++)
        store.create(HostnameConfigs, `c${i}`, { spec: { hostname: "h", domain: "d" } });
      await eventually(() => seen.length === 2, "the tick for the burst");
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(seen, [0, 100]);
    } finally {
      await runtime.stop();
    }
  });

  test("changes of types that are not inputs do not tick", async () => {
    const store = new ResourceStore();
    let ticks = 0;
    const runtime = new ControllerRuntime(store);
    runtime.register({
      name: "test.QuietController",
      inputs: [{ type: HostnameConfigs, id: "watched", kind: "weak" }],
      outputs: [],
      async run(rt, _log, signal) {
        for await (const _ of rt.changes(signal)) ticks++;
      },
    });
    runtime.start();
    try {
      await eventually(() => ticks === 1, "the first tick");
      store.create(HostnameSpecs, "x", { spec: { fqdn: "f" } });
      store.create(HostnameConfigs, "other", { spec: { hostname: "h", domain: "d" } });
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(ticks, 1);
      store.create(HostnameConfigs, "watched", { spec: { hostname: "h", domain: "d" } });
      await eventually(() => ticks === 2, "the tick for the watched id");
    } finally {
      await runtime.stop();
    }
  });
});
