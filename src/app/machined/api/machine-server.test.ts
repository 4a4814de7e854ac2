/**
 * machined end to end in-process: real gRPC calls over its unix socket with the generated clients,
 * a temp state dir per test. What apid and stelectl rely on.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { parse } from "yaml";
import type { EventsResponse } from "../../../machinery/api/machine/v1alpha1/events.ts";
import { ApplyMode, FileType } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { EventType, type WatchResponse } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { ProcessRunner } from "../system/index.ts";
import {
  call,
  callError,
  collect,
  eventually,
  type MachinedFixture,
  startMachined,
  type TestConfigs,
  testConfigs,
} from "../testing/machined-fixture.ts";

let configs: TestConfigs;
let node: MachinedFixture | undefined;

before(async () => {
  configs = await testConfigs();
});

afterEach(async () => {
  await node?.close();
  node = undefined;
});

const withHostname = (hostname: string) =>
  configs.yaml((m) => ({ ...m, network: { ...m.network, hostname } }));

/** Boots a node with `config` (null: none, maintenance mode); by default one named node-a. */
async function boot(
  config: string | null = withHostname("node-a"),
  options: Parameters<typeof startMachined>[1] = {},
) {
  node = await startMachined(config ?? undefined, options);
  return node;
}

async function hostnameOf(n: MachinedFixture): Promise<string> {
  const reply = await call(n.resources.get.bind(n.resources), {
    namespace: "",
    type: "hostname",
    id: "hostname",
  });
  return (parse(reply.messages[0]!.resource!.spec!.yaml.toString()) as { hostname: string }).hostname;
}

async function apply(
  n: MachinedFixture,
  yaml: string,
  mode: ApplyMode,
  extra: { dryRun?: boolean; tryMs?: number } = {},
) {
  return call(n.machine.applyConfiguration.bind(n.machine), {
    data: Buffer.from(yaml),
    mode,
    dryRun: extra.dryRun ?? false,
    tryTimeout: extra.tryMs === undefined ? undefined : { seconds: 0n, nanos: extra.tryMs * 1e6 },
  });
}

const storedConfig = (n: MachinedFixture) => readFileSync(join(n.dir, "state", "config.yaml"), "utf8");

describe("boot", () => {
  test("with a valid config, Version answers and MachineStatus is ready and tagged with the hostname", async () => {
    const n = await boot();
    const version = await call(n.version.version.bind(n.version), {});
    assert.equal(version.messages[0]?.platform?.name, "container");
    assert.equal(version.messages[0]?.version?.tag, "v0.1.0");
    const reply = await call(n.resources.get.bind(n.resources), {
      namespace: "",
      type: "machinestatus",
      id: "machine",
    });
    assert.equal(reply.messages[0]?.metadata?.hostname, "node-a");
    assert.deepEqual(parse(reply.messages[0]!.resource!.spec!.yaml.toString()), {
      stage: "running",
      ready: true,
      unmetConditions: [],
    });
  });

  test("the socket is private to its owner", async () => {
    const n = await boot();
    assert.equal(statSync(n.running.server.socketPath).mode & 0o777, 0o600);
  });

  test("without a config, the node is in maintenance mode and not ready", async () => {
    const n = await boot(null);
    const reply = await call(n.resources.get.bind(n.resources), {
      namespace: "",
      type: "machinestatus",
      id: "machine",
    });
    const spec = parse(reply.messages[0]!.resource!.spec!.yaml.toString()) as {
      stage: string;
      ready: boolean;
    };
    assert.equal(spec.stage, "maintenance");
    assert.equal(spec.ready, false);
  });

  test("ResourceDefinitions marks the machine config sensitive and nothing else", async () => {
    const n = await boot();
    const reply = await call(n.resources.resourceDefinitions.bind(n.resources), {});
    const sensitive = reply.messages[0]!.definitions.filter((d) => d.sensitive).map((d) => d.type);
    assert.deepEqual(sensitive, ["MachineConfigs.config.stele.dev"]);
  });
});

describe("ApplyConfiguration", () => {
  test("an invalid config is rejected with the validator's position and the stored config is unchanged", async () => {
    const n = await boot();
    const before = storedConfig(n);
    const invalid = withHostname("node-a").replace("type: worker", "type: potato");
    const error = await callError(n.machine.applyConfiguration.bind(n.machine), {
      data: Buffer.from(invalid),
      mode: ApplyMode.APPLY_MODE_AUTO,
      dryRun: false,
    });
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.match(error.details, /config\.yaml:\d+:\d+ MachineConfig type/);
    assert.equal(storedConfig(n), before);
    assert.equal(await hostnameOf(n), "node-a");
  });

  test("no-reboot with a hostname change updates the Hostname resource, seen by a Watch", async () => {
    const n = await boot();
    const watch = n.resources.watch({ namespace: "", type: "hostname", id: "" });
    const seen = collect<WatchResponse>(watch, (messages) =>
      messages.some(
        (m) =>
          m.eventType === EventType.EVENT_TYPE_UPDATED &&
          m.resource?.spec?.yaml.toString().includes("node-b"),
      ),
    );
    await eventually(() => (n.running.machined.store.watcherCount > 0 ? true : undefined));
    const reply = await apply(n, withHostname("node-b"), ApplyMode.APPLY_MODE_NO_REBOOT);
    assert.equal(reply.messages[0]?.mode, ApplyMode.APPLY_MODE_NO_REBOOT);
    const messages = await seen;
    assert.equal(messages[0]?.eventType, EventType.EVENT_TYPE_CREATED);
    assert.equal(messages[1]?.eventType, EventType.EVENT_TYPE_BOOTSTRAPPED);
    const update = messages.at(-1)!;
    assert.match(update.old!.spec!.yaml.toString(), /node-a/);
    assert.equal(await hostnameOf(n), "node-b");
    assert.equal(storedConfig(n), withHostname("node-b"));
  });

  test("no-reboot with a change to debug is refused, naming the field", async () => {
    const n = await boot();
    const error = await callError(n.machine.applyConfiguration.bind(n.machine), {
      data: Buffer.from(
        configs.yaml((m) => ({ ...m, network: { ...m.network, hostname: "node-a" }, debug: true })),
      ),
      mode: ApplyMode.APPLY_MODE_NO_REBOOT,
      dryRun: false,
    });
    assert.equal(error.code, status.FAILED_PRECONDITION);
    assert.match(error.details, /fields change only at boot: debug/);
    assert.equal(storedConfig(n), withHostname("node-a"));
  });

  test("auto picks a reboot for a change to debug", async () => {
    const n = await boot();
    const debug = configs.yaml((m) => ({ ...m, network: { ...m.network, hostname: "node-a" }, debug: true }));
    const reply = await apply(n, debug, ApplyMode.APPLY_MODE_AUTO, { dryRun: true });
    assert.equal(reply.messages[0]?.mode, ApplyMode.APPLY_MODE_REBOOT);
    assert.match(reply.messages[0]!.modeDetails, /debug/);
  });

  test("staged is not live until a reboot, and live after Reboot", async () => {
    const n = await boot();
    await apply(n, withHostname("node-c"), ApplyMode.APPLY_MODE_STAGED);
    assert.equal(await hostnameOf(n), "node-a");
    assert.equal(storedConfig(n), withHostname("node-a"));
    await call(n.machine.reboot.bind(n.machine), { mode: "REBOOT_MODE_DEFAULT" });
    await eventually(async () => ((await hostnameOf(n)) === "node-c" ? true : undefined));
    await eventually(() =>
      n.running.machined.stage === "running" && !n.running.machined.sequencer.running ? true : undefined,
    );
    assert.equal(storedConfig(n), withHostname("node-c"));
  });

  test("try is rolled back after its timeout", async () => {
    const n = await boot();
    const reply = await apply(n, withHostname("node-t"), ApplyMode.APPLY_MODE_TRY, { tryMs: 300 });
    assert.equal(reply.messages[0]?.mode, ApplyMode.APPLY_MODE_TRY);
    assert.equal(await hostnameOf(n), "node-t");
    await eventually(async () => ((await hostnameOf(n)) === "node-a" ? true : undefined));
    assert.equal(storedConfig(n), withHostname("node-a"));
  });

  test("a second apply confirms a try", async () => {
    const n = await boot();
    await apply(n, withHostname("node-t"), ApplyMode.APPLY_MODE_TRY, { tryMs: 200 });
    await apply(n, withHostname("node-t"), ApplyMode.APPLY_MODE_NO_REBOOT);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await hostnameOf(n), "node-t");
  });

  test("dry-run returns a diff and changes nothing", async () => {
    const n = await boot();
    const reply = await apply(n, withHostname("node-d"), ApplyMode.APPLY_MODE_NO_REBOOT, { dryRun: true });
    const diff = reply.messages[0]!.diff;
    assert.match(diff, /^--- running\n\+\+\+ new\n@@ /);
    assert.match(diff, /^-\s+hostname: node-a$/m);
    assert.match(diff, /^\+\s+hostname: node-d$/m);
    assert.equal(storedConfig(n), withHostname("node-a"));
    assert.equal(await hostnameOf(n), "node-a");
  });
});

describe("sequences", () => {
  test("of two concurrent Reboots, one is refused as busy", async () => {
    // A service that takes 300 ms to stop keeps the first reboot running while the second arrives.
    const slowStop = () => [
      {
        id: "slow-stop",
        restart: "always" as const,
        runner: new ProcessRunner(process.execPath, {
          args: [
            "-e",
            "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); setInterval(() => {}, 1000)",
          ],
        }),
      },
    ];
    const n = await boot(undefined, { services: slowStop });
    await eventually(() => (n.running.machined.supervisor.list()[0]?.state === "running" ? true : undefined));
    const reboot = () =>
      call(n.machine.reboot.bind(n.machine), { mode: "REBOOT_MODE_DEFAULT" }).then(
        () => undefined,
        (error: { code: number; details: string }) => error,
      );
    const results = await Promise.all([reboot(), reboot()]);
    const errors = results.filter((r) => r !== undefined);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, status.ABORTED);
    assert.match(errors[0]!.details, /^Sequence reboot is running: /);
    await eventually(() => (n.running.machined.sequencer.running ? undefined : true));
  });

  test("the Events stream shows a reboot's sequence, phases and nested boot, by actor", async () => {
    const n = await boot();
    const reply = await call(n.machine.reboot.bind(n.machine), { mode: "REBOOT_MODE_DEFAULT" });
    const actorId = reply.messages[0]!.actorId;
    const stream = n.machine.events({ tailEvents: -1, tailId: "", tailSeconds: 0, withActorId: actorId });
    const events = await collect<EventsResponse>(stream, (messages) =>
      messages.some(
        (m) =>
          m.event?.$case === "sequence" &&
          m.event.value.sequence === "reboot" &&
          m.event.value.action === "EVENT_ACTION_STOP",
      ),
    );
    const steps = events.map((e) =>
      e.event?.$case === "sequence"
        ? `sequence ${e.event.value.sequence} ${e.event.value.action}`
        : e.event?.$case === "phase"
          ? `phase ${e.event.value.phase} ${e.event.value.action}`
          : "",
    );
    assert.deepEqual(
      steps.filter((s) => s.startsWith("sequence")),
      [
        "sequence reboot EVENT_ACTION_START",
        "sequence boot EVENT_ACTION_START",
        "sequence boot EVENT_ACTION_STOP",
        "sequence reboot EVENT_ACTION_STOP",
      ].sort((a, b) => steps.indexOf(a) - steps.indexOf(b)),
    );
    assert.ok(steps.indexOf("phase stopServices EVENT_ACTION_START") > 0);
    assert.ok(events.every((e) => e.actorId === actorId && e.metadata?.hostname === "node-a"));
    assert.ok(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id));
  });
});

describe("reset and shutdown", () => {
  test("Reset wipes STATE and EPHEMERAL and boots into maintenance mode", async () => {
    const n = await boot();
    writeFileSync(join(n.dir, "var", "data"), "x");
    await call(n.machine.reset.bind(n.machine), {
      graceful: false,
      reboot: true,
      systemPartitionsToWipe: [],
    });
    await eventually(() =>
      n.running.machined.stage === "maintenance" && !n.running.machined.sequencer.running ? true : undefined,
    );
    assert.equal(existsSync(join(n.dir, "state", "config.yaml")), false);
    assert.equal(existsSync(join(n.dir, "var", "data")), false);
    const mc = await callError(n.resources.get.bind(n.resources), {
      namespace: "",
      type: "machineconfig",
      id: "v1alpha1",
    });
    assert.equal(mc.code, status.NOT_FOUND);
  });

  test("Reset of STATE only keeps EPHEMERAL", async () => {
    const n = await boot();
    writeFileSync(join(n.dir, "var", "data"), "x");
    await call(n.machine.reset.bind(n.machine), {
      graceful: false,
      reboot: true,
      systemPartitionsToWipe: [{ label: "STATE", wipe: false }],
    });
    await eventually(() =>
      n.running.machined.stage === "maintenance" && !n.running.machined.sequencer.running ? true : undefined,
    );
    assert.equal(existsSync(join(n.dir, "var", "data")), true);
  });

  test("Reset of EPHEMERAL only keeps the config: the node boots running again", async () => {
    const n = await boot();
    writeFileSync(join(n.dir, "var", "data"), "x");
    await call(n.machine.reset.bind(n.machine), {
      graceful: false,
      reboot: true,
      systemPartitionsToWipe: [{ label: "EPHEMERAL", wipe: false }],
    });
    await eventually(() =>
      n.running.machined.stage === "running" && !n.running.machined.sequencer.running ? true : undefined,
    );
    assert.equal(existsSync(join(n.dir, "var", "data")), false);
    assert.equal(existsSync(join(n.dir, "state", "config.yaml")), true);
  });

  test("Shutdown stops the node: the daemon's stopped promise settles", async () => {
    const n = await boot();
    await call(n.machine.shutdown.bind(n.machine), { force: false });
    await n.running.stopped;
    assert.equal(n.running.machined.stage, "shuttingdown");
    assert.equal(existsSync(n.running.server.socketPath), false);
  });
});

describe("services and logs", () => {
  const ticker = () => [
    {
      id: "ticker",
      restart: "always" as const,
      runner: new ProcessRunner(process.execPath, {
        args: [
          "-e",
          "let i = 0; console.log('tick ' + i++); setInterval(() => console.log('tick ' + i++), 20)",
        ],
      }),
    },
  ];

  test("ServiceList shows a supervised process service as running", async () => {
    const n = await boot(undefined, { services: ticker });
    await eventually(() => (n.running.machined.supervisor.list()[0]?.state === "running" ? true : undefined));
    const reply = await call(n.machine.serviceList.bind(n.machine), {});
    const service = reply.messages[0]!.services[0]!;
    assert.equal(service.id, "ticker");
    assert.equal(service.state, "SERVICE_STATE_RUNNING");
    assert.ok(service.events.length > 0);
    await call(n.machine.serviceStop.bind(n.machine), { id: "ticker" });
    const stopped = await call(n.machine.serviceList.bind(n.machine), {});
    assert.equal(stopped.messages[0]!.services[0]!.state, "SERVICE_STATE_FINISHED");
  });

  test("Logs returns the last lines, and follow streams new ones", async () => {
    const n = await boot(undefined, { services: ticker });
    await eventually(() =>
      n.running.machined.logs.services().includes("ticker") &&
      n.running.machined.logs.ring("ticker").size >= 3
        ? true
        : undefined,
    );
    const tail = await collect(
      n.machine.logs({
        namespace: "",
        id: "ticker",
        driver: "LOG_DRIVER_SERVICE",
        follow: false,
        tailLines: 2,
      }),
    );
    const lines = Buffer.concat(tail.map((m) => m.bytes))
      .toString()
      .split("\n")
      .filter(Boolean);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^tick \d+$/);
    const followed = await collect(
      n.machine.logs({
        namespace: "",
        id: "ticker",
        driver: "LOG_DRIVER_SERVICE",
        follow: true,
        tailLines: 0,
      }),
      (messages) => messages.length >= 3,
    );
    const numbers = followed.map((m) => Number(/tick (\d+)/.exec(m.bytes.toString())![1]));
    assert.ok(numbers[0]! > Number(/\d+/.exec(lines[1]!)![0]), "follow with tail 0 sends only new lines");
    assert.deepEqual(numbers, [numbers[0]!, numbers[0]! + 1, numbers[0]! + 2]);
  });

  test("machined's own log holds JSON lines", async () => {
    const n = await boot();
    const tail = await collect(
      n.machine.logs({ namespace: "", id: "machined", driver: "LOG_DRIVER_SERVICE", follow: false }),
    );
    const lines = Buffer.concat(tail.map((m) => m.bytes))
      .toString()
      .split("\n")
      .filter(Boolean);
    assert.ok(
      lines.map((l) => JSON.parse(l) as { msg: string }).some((entry) => entry.msg === "Boot finished"),
    );
  });

  test("Logs of an unknown service is NOT_FOUND", async () => {
    const n = await boot();
    await assert.rejects(
      collect(n.machine.logs({ namespace: "", id: "nope", driver: "LOG_DRIVER_SERVICE", follow: false })),
      (error: { code: number }) => error.code === status.NOT_FOUND,
    );
  });
});

describe("files and processes", () => {
  test("List shows entries under /var and refuses '..' escapes and paths outside /var", async () => {
    const n = await boot();
    mkdirSync(join(n.dir, "var", "data"), { recursive: true });
    writeFileSync(join(n.dir, "var", "data", "a.txt"), "hello\n");
    const entries = await collect(
      n.machine.list({ root: "/var/data", recurse: true, recursionDepth: 0, types: [] }),
    );
    assert.deepEqual(
      entries.map((e) => [e.name, e.relativeName, e.type]),
      [["/var/data/a.txt", "a.txt", FileType.FILE_TYPE_REGULAR]],
    );
    const logs = await collect(
      n.machine.list({ root: "/var/log", recurse: false, recursionDepth: 0, types: [] }),
    );
    assert.ok(
      logs.some((e) => e.name === "/var/log/machined.log"),
      "machined's own log is kept as a file under /var/log",
    );
    for (const root of ["/var/../state", "/var/data/../../etc", "/etc", "var"]) {
      await assert.rejects(
        collect(n.machine.list({ root, recurse: false, recursionDepth: 0, types: [] })),
        (error: { code: number }) =>
          error.code === status.PERMISSION_DENIED || error.code === status.INVALID_ARGUMENT,
        root,
      );
    }
  });

  test("Read refuses a symlink that leaves /var and reads a file under it", async () => {
    const n = await boot();
    symlinkSync(join(n.dir, "state"), join(n.dir, "var", "state-link"));
    writeFileSync(join(n.dir, "var", "b.txt"), "contents");
    await assert.rejects(
      collect(n.machine.read({ path: "/var/state-link/config.yaml" })),
      (error: { code: number }) => error.code === status.PERMISSION_DENIED,
    );
    const chunks = await collect(n.machine.read({ path: "/var/b.txt" }));
    assert.equal(Buffer.concat(chunks.map((c) => c.bytes)).toString(), "contents");
  });

  test("Dmesg streams kernel lines, or says the kernel log is not readable in container mode", async () => {
    const n = await boot();
    try {
      const chunks = await collect(n.machine.dmesg({ follow: false, tail: false }));
      const text = Buffer.concat(chunks.map((c) => c.bytes)).toString();
      assert.ok(text === "" || /^\[\s*\d+\.\d{6}\] /.test(text), text.slice(0, 80));
    } catch (error) {
      const { code, details } = error as { code: number; details: string };
      assert.equal(code, status.FAILED_PRECONDITION);
      assert.match(details, /^kernel messages are not readable in container mode: /);
    }
  });

  test("Processes lists machined itself and Memory reports a total", async () => {
    const n = await boot();
    const reply = await call(n.machine.processes.bind(n.machine), {});
    const pids = reply.messages[0]!.processes.map((p) => p.pid);
    assert.ok(pids.includes(process.pid));
    assert.ok(reply.messages[0]!.processes.every((p) => p.pid === process.pid || pids.includes(p.ppid)));
    const memory = await call(n.machine.memory.bind(n.machine), {});
    assert.ok(memory.messages[0]!.meminfo!.memTotal > 0n);
  });
});

after(() => {
  // The fixture closes each node; nothing global to release.
});
