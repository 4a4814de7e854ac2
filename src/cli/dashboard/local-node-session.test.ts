/**
 * The console dashboard's data path end to end: a machined in maintenance mode (in-process), its
 * local read-only socket, and the dashboard's gRPC source over a local session.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { READER_SOCKET_NAME } from "../../app/machined/console/reader-server.ts";
import { ProcessRunner } from "../../app/machined/system/index.ts";
import { type MachinedFixture, startMachined } from "../../app/machined/testing/machined-fixture.ts";
import type { NodeSession } from "../client/node-session.ts";
import { grpcDashboardSource } from "./grpc-dashboard-source.ts";
import { LOCAL_NODE, localNodeSession } from "./local-node-session.ts";

const FINGERPRINT = Array.from({ length: 32 }, () => "AB").join(":");
let node: MachinedFixture;
let session: NodeSession;

before(async () => {
  // An "apid" that logs its maintenance-mode line the way the real one does, then idles.
  const line = JSON.stringify({
    level: "info",
    fingerprint: FINGERPRINT,
    msg: `maintenance mode: API certificate fingerprint SHA256 ${FINGERPRINT}`,
  });
  node = await startMachined(undefined, {
    services: () => [
      {
        id: "apid",
        runner: new ProcessRunner(process.execPath, {
          args: ["-e", `console.log(${JSON.stringify(line)}); setInterval(() => {}, 1 << 30);`],
        }),
        restart: "always",
      },
    ],
  });
  session = localNodeSession(join(dirname(node.running.server.socketPath), READER_SOCKET_NAME));
});

after(async () => {
  session.close();
  await node.close();
});

test("the local session reads a maintenance-mode node's summary, with apid's fingerprint, as os:reader", async () => {
  const source = grpcDashboardSource(session);
  assert.deepEqual(source.nodes, [LOCAL_NODE]);
  const deadline = Date.now() + 5000;
  let summary = await source.summary(LOCAL_NODE, new AbortController().signal);
  while (summary.apiFingerprint === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    summary = await source.summary(LOCAL_NODE, new AbortController().signal);
  }
  assert.equal(summary.stage, "maintenance");
  assert.equal(summary.apiFingerprint, FINGERPRINT);
  assert.ok(summary.addresses.length > 0);
  const services = await source.services(LOCAL_NODE, new AbortController().signal);
  assert.deepEqual(
    services.map((s) => s.id),
    ["apid"],
  );
});

test("stats stream over the local socket too (the Monitor screen)", async () => {
  const controller = new AbortController();
  const samples: number[] = [];
  await grpcDashboardSource(session).watchStats(
    LOCAL_NODE,
    { intervalMs: 250, signal: controller.signal },
    (s) => {
      samples.push(s.memTotal);
      if (samples.length === 2) controller.abort();
    },
  );
  assert.equal(samples.length, 2);
  assert.ok((samples[0] ?? 0) > 0);
});
