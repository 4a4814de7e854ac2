import assert from "node:assert/strict";
import { test } from "node:test";
import { MachineEvents } from "../events/machine-events.ts";
import { reportBootProgress } from "./boot-progress.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

function fixture() {
  const events = new MachineEvents();
  const lines: string[] = [];
  const stop = reportBootProgress(
    {
      events,
      platform: { paths: { state: "/system/state", ephemeral: "/var" } },
      supervisor: {
        list: () => [
          { id: "apid", state: "running" },
          { id: "dashboard", state: "running" },
        ],
      },
    },
    (line) => lines.push(line),
  );
  return { events, lines, stop };
}

test("a boot prints one line per phase: storage, services started, then not ready and ready once each", async () => {
  const { events, lines, stop } = fixture();
  events.publish({ kind: "phase", phase: "loadConfig", action: "start" });
  events.publish({ kind: "phase", phase: "loadConfig", action: "stop" });
  events.publish({ kind: "phase", phase: "startServices", action: "start" });
  events.publish({ kind: "phase", phase: "startServices", action: "stop" });
  const waiting = (names: string[]) => names.map((name) => ({ name, reason: "starting" }));
  events.publish({
    kind: "machine-status",
    stage: "running",
    ready: false,
    unmetConditions: waiting(["etcd", "kubelet"]),
  });
  events.publish({
    kind: "machine-status",
    stage: "running",
    ready: false,
    unmetConditions: waiting(["kubelet"]),
  });
  events.publish({ kind: "machine-status", stage: "running", ready: true, unmetConditions: [] });
  events.publish({ kind: "machine-status", stage: "running", ready: true, unmetConditions: [] });
  await tick();
  stop();
  assert.deepEqual(lines, [
    "boot: storage: STATE at /system/state, EPHEMERAL at /var\n",
    "boot: services started: apid (running), dashboard (running)\n",
    "boot: running, not ready yet: waiting for etcd, kubelet\n",
    "boot: ready\n",
  ]);
});

test("maintenance mode says what the node waits for and where the fingerprint and the command are", async () => {
  const { events, lines, stop } = fixture();
  events.publish({
    kind: "machine-status",
    stage: "maintenance",
    ready: false,
    unmetConditions: [{ name: "config", reason: "Waiting for a machine configuration" }],
  });
  await tick();
  stop();
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? "",
    /^boot: maintenance mode: waiting for a machine configuration; apid prints the API certificate fingerprint/,
  );
  assert.equal(events.subscriberCount, 0, "stopping ends the subscription");
});
