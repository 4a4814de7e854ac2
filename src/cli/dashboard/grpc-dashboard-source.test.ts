import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { MachineServiceClient, MachineServiceService } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceService } from "../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceClient, VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import {
  ResourceServiceClient,
  ResourceServiceService,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../machinery/errors.ts";
import type { NodeSession } from "../client/node-session.ts";
import type { StatsSample } from "./dashboard-source.ts";
import { grpcDashboardSource } from "./grpc-dashboard-source.ts";

// A plain-text grpc-js server with canned replies: what is tested is the source's requests and its
// reading of the replies, not TLS (the session's clients bring that, tested with them).
const SPECS: Record<string, string> = {
  "MachineStatuses.runtime.stele.dev":
    "stage: booting\nready: false\nunmetConditions:\n  - name: services\n    reason: etcd is waiting\n",
  "HostnameStatuses.net.stele.dev": 'hostname: cp-1\ndomainname: ""\n',
  "NodeAddresses.net.stele.dev": "addresses:\n  - 10.5.0.2/24\n",
};
const BOOT = new Date("2026-01-02T03:04:05Z");
const cancelled: string[] = [];
const logRequests: unknown[] = [];
let server: Server;
let session: NodeSession;

function untilCancelled(name: string, call: ServerWritableStream<unknown, unknown>): void {
  call.on("cancelled", () => cancelled.push(name));
}

const cpu = (busy: bigint, idle: bigint) => ({
  name: "cpu",
  user: busy,
  nice: 0n,
  system: 0n,
  idle,
  iowait: 0n,
  irq: 0n,
  softirq: 0n,
  steal: 0n,
});

before(async () => {
  server = new Server();
  const add = (definition: object, implementation: object) =>
    server.addService(
      definition as Parameters<Server["addService"]>[0],
      implementation as UntypedServiceImplementation,
    );
  add(VersionServiceService, {
    version: (_call: unknown, done: (e: null, r: unknown) => void) =>
      done(null, {
        messages: [
          {
            version: { tag: "v9.8.7", sha: "", nodeVersion: "", os: "", arch: "" },
            platform: { name: "qemu", mode: "PLATFORM_MODE_UNSPECIFIED" },
          },
        ],
      }),
  });
  add(ResourceServiceService, {
    get: (call: { request: { type: string } }, done: (e: null, r: unknown) => void) =>
      done(null, {
        messages: [{ resource: { spec: { yaml: Buffer.from(SPECS[call.request.type] ?? "{}") } } }],
      }),
    list: (call: ServerWritableStream<unknown, unknown>) => {
      for (const id of ["cp-1", "worker-1"])
        call.write({ resource: { spec: { yaml: Buffer.from(`hostname: ${id}\n`) } } });
      call.end();
    },
  });
  add(StatsServiceService, {
    cpuStats: (_call: unknown, done: (e: null, r: unknown) => void) =>
      done(null, {
        messages: [
          {
            cpus: [],
            clockTicksPerSecond: 100,
            contextSwitches: 0n,
            processesCreated: 0n,
            processesRunning: 0,
            processesBlocked: 0,
            bootTime: BOOT,
          },
        ],
      }),
    watchStats: (call: ServerWritableStream<unknown, unknown>) => {
      const sample = (seconds: number, busy: bigint, idle: bigint) => ({
        time: new Date(seconds * 1000),
        cpu: cpu(busy, idle),
        clockTicksPerSecond: 100,
        interfaces: [],
        disks: [],
        processCount: 7,
      });
      call.write(sample(1, 100n, 100n));
      call.write(sample(2, 150n, 150n));
      untilCancelled("stats", call);
    },
  });
  add(MachineServiceService, {
    serviceList: (_call: unknown, done: (e: null, r: unknown) => void) =>
      done(null, {
        messages: [
          {
            services: [
              {
                id: "etcd",
                state: "SERVICE_STATE_RUNNING",
                events: [{ state: "SERVICE_STATE_RUNNING", message: "Started" }],
                health: { unknown: false, healthy: true, lastMessage: "" },
              },
              { id: "kubelet", state: "SERVICE_STATE_WAITING", events: [], health: undefined },
            ],
          },
        ],
      }),
    logs: (call: ServerWritableStream<unknown, unknown>) => {
      logRequests.push(call.request);
      call.write({ bytes: Buffer.from("first line\nsecond ha") });
      call.write({ bytes: Buffer.from("lf\nthird") });
      untilCancelled("logs", call);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const endpoint = `127.0.0.1:${port}`;
  const machine = new MachineServiceClient(endpoint, credentials.createInsecure());
  const shared = { channelOverride: machine.getChannel() };
  session = {
    targets: [
      {
        node: "cp-1",
        endpoint,
        metadata: new Metadata(),
        machine,
        resource: new ResourceServiceClient(endpoint, credentials.createInsecure(), shared),
        version: new VersionServiceClient(endpoint, credentials.createInsecure(), shared),
        describe: (error) => new SteleError("unavailable", `Node cp-1 failed: ${(error as Error).message}`),
      },
    ],
    namedNodes: true,
    close: () => machine.close(),
  };
});

after(() => {
  session.close();
  server.forceShutdown();
});

test("the summary gathers version, machine status, hostname, addresses, members and boot time", async () => {
  const summary = await grpcDashboardSource(session).summary("cp-1", new AbortController().signal);
  assert.deepEqual(summary, {
    hostname: "cp-1",
    tag: "v9.8.7",
    platform: "qemu",
    stage: "booting",
    ready: false,
    unmetConditions: [{ name: "services", reason: "etcd is waiting" }],
    addresses: ["10.5.0.2/24"],
    members: 2,
    bootTime: BOOT,
  });
});

test("services come with their state, health and last event", async () => {
  const services = await grpcDashboardSource(session).services("cp-1", new AbortController().signal);
  assert.deepEqual(services, [
    { id: "etcd", state: "running", health: "ok", message: "Started" },
    { id: "kubelet", state: "waiting", health: "?", message: "" },
  ]);
});

test("stats samples stream until the signal aborts, which cancels the call", async () => {
  const controller = new AbortController();
  const samples: StatsSample[] = [];
  const done = grpcDashboardSource(session).watchStats(
    "cp-1",
    { intervalMs: 500, signal: controller.signal },
    (s) => {
      samples.push(s);
      if (samples.length === 2) controller.abort();
    },
  );
  await done;
  assert.deepEqual(
    samples.map((s) => [s.timeMs, s.cpuBusy, s.cpuTotal, s.processCount]),
    [
      [1000, 100, 200, 7],
      [2000, 150, 300, 7],
    ],
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(cancelled.includes("stats"));
});

test("logs follow the service's tail and arrive as whole lines, however the chunks cut them", async () => {
  const controller = new AbortController();
  const lines: string[] = [];
  const done = grpcDashboardSource(session).followLogs(
    "cp-1",
    { service: "etcd", tail: 200, signal: controller.signal },
    (more) => {
      lines.push(...more);
      if (lines.length === 2) controller.abort();
    },
  );
  await done;
  assert.deepEqual(lines, ["first line", "second half"]);
  assert.deepEqual(logRequests, [
    { namespace: "", id: "etcd", driver: "LOG_DRIVER_SERVICE", follow: true, tailLines: 200 },
  ]);
});

test("a node that is not in the session is refused with its name", async () => {
  await assert.rejects(
    grpcDashboardSource(session).services("nope", new AbortController().signal),
    /Unknown node: nope/,
  );
});
