import assert from "node:assert/strict";
import { test } from "node:test";
import { ResourceStore } from "../../../runtime/index.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { MACHINE_STATUS_ID, MachineStatus } from "../resources/machine-status.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { ConsoleStatus } from "./console-status.ts";

const FINGERPRINT = (byte: string) => Array.from({ length: 32 }, () => byte).join(":");
const settle = () => new Promise((resolve) => setImmediate(resolve));

function machined() {
  const store = new ResourceStore();
  return {
    store,
    hostname: () => store.get(Hostname, HOSTNAME_ID)?.spec.hostname ?? "localhost",
  };
}

test("the view follows MachineStatus, NodeAddresses and Hostname, and says when it changed", async () => {
  const source = machined();
  const status = new ConsoleStatus();
  let changes = 0;
  status.onChange(() => changes++);
  const stop = status.watch(source);
  assert.equal(status.view.hostname, "localhost");
  assert.equal(status.view.stage, "booting");
  source.store.create(MachineStatus, MACHINE_STATUS_ID, {
    spec: { stage: "running", ready: false, unmetConditions: [{ name: "kubelet", reason: "starting" }] },
  });
  source.store.create(NodeAddresses, NODE_ADDRESSES_ID, { spec: { addresses: ["10.5.0.2/24"] } });
  source.store.create(Hostname, HOSTNAME_ID, { spec: { hostname: "worker-1", domainname: "" } });
  await settle();
  assert.deepEqual(
    { ...status.view },
    {
      hostname: "worker-1",
      stage: "running",
      ready: false,
      waitingFor: ["kubelet"],
      addresses: ["10.5.0.2/24"],
      apiFingerprint: undefined,
    },
  );
  const before = changes;
  source.store.update(MachineStatus, MACHINE_STATUS_ID, {
    spec: { stage: "running", ready: true, unmetConditions: [] },
    expectedVersion: 1,
  });
  await settle();
  assert.equal(status.view.ready, true);
  assert.deepEqual(status.view.waitingFor, []);
  assert.equal(changes, before + 1);
  stop();
  source.store.update(Hostname, HOSTNAME_ID, {
    spec: { hostname: "renamed", domainname: "" },
    expectedVersion: 1,
  });
  await settle();
  assert.equal(status.view.hostname, "worker-1", "stopped watching");
});

test("apid's newest fingerprint wins; other services' lines and lines without one change nothing", () => {
  const status = new ConsoleStatus();
  let changes = 0;
  status.onChange(() => changes++);
  status.offerLog("etcd", `fingerprint ${FINGERPRINT("EE")}`);
  status.offerLog("apid", '{"msg":"listening"}');
  assert.equal(status.view.apiFingerprint, undefined);
  assert.equal(changes, 0);
  status.offerLog("apid", JSON.stringify({ fingerprint: FINGERPRINT("AA") }));
  status.offerLog("apid", JSON.stringify({ fingerprint: FINGERPRINT("BB") }));
  assert.equal(status.view.apiFingerprint, FINGERPRINT("BB"), "a restarted apid serves a new certificate");
  status.offerLog("apid", JSON.stringify({ fingerprint: FINGERPRINT("BB") }));
  assert.equal(changes, 2, "the same fingerprint again is no change");
});
