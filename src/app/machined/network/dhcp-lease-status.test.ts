import assert from "node:assert/strict";
import { test } from "node:test";
import { ResourceStore } from "../../../runtime/index.ts";
import { NodeAddresses } from "../resources/node-addresses.ts";
import { FakeClock, FakeNetwork, settle, spyHostCalls } from "./dhcp-fake-world.ts";
import { DhcpLeaseStatus, watchDhcpNetwork } from "./dhcp-lease-status.ts";
import { DhcpNetwork } from "./dhcp-network.ts";

test("DhcpLeaseStatus follows the leases: state, address, server, expiry as a wall-clock time", async () => {
  const clock = new FakeClock();
  const net = new FakeNetwork();
  const dhcp = new DhcpNetwork({
    openSocket: net.openSocket,
    clock,
    calls: spyHostCalls(),
    hardwareAddress: () => "52:54:00:12:34:56",
    log: () => {},
    random: () => 0.5,
  });
  const store = new ResourceStore();
  store.registerType(NodeAddresses);
  const errors: unknown[] = [];
  const stop = watchDhcpNetwork(dhcp, store, { clock, owner: "machined", onError: (e) => errors.push(e) });
  const before = Date.now();
  dhcp.configure({ interfaces: ["eth0"], staticNameservers: [], staticallyAddressed: [] });
  await settle();
  await settle();
  const status = store.get(DhcpLeaseStatus, "eth0")?.spec;
  assert.equal(status?.state, "bound");
  assert.equal(status?.address, "10.0.2.15/24");
  assert.equal(status?.server, "10.0.2.2");
  assert.equal(status?.leaseSeconds, 86_400);
  const expires = Date.parse(status?.expiresAt ?? "");
  assert.ok(Math.abs(expires - (before + 86_400_000)) < 5_000, status?.expiresAt);
  assert.ok(store.get(NodeAddresses, "current"), "NodeAddresses refreshed");
  dhcp.configure({ interfaces: [], staticNameservers: [], staticallyAddressed: [] });
  await settle();
  await settle();
  assert.equal(store.get(DhcpLeaseStatus, "eth0"), undefined, "gone with its client");
  assert.deepEqual(errors, []);
  stop();
  dhcp.close();
});
