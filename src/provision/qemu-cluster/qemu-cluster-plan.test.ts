import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { nodeMac } from "./node-mac.ts";
import { planQemuCluster } from "./qemu-cluster-plan.ts";

test("the defaults: UEFI, 1024 MiB, 6 GiB, no TPM; the container provisioner's names and addresses", () => {
  const plan = planQemuCluster({ name: "dev", home: "/home/ann" });
  assert.deepEqual([plan.boot, plan.memoryMiB, plan.diskGiB, plan.withTpm], ["uefi", 1024, 6, false]);
  assert.equal(plan.clusterDir, "/home/ann/.stele/clusters/dev");
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.address, n.tap]),
    [
      ["dev-controlplane-1", "10.5.0.2", "tap1"],
      ["dev-worker-1", "10.5.0.3", "tap2"],
    ],
  );
  assert.equal(plan.nodes[0]!.nodeDir, "/home/ann/.stele/clusters/dev/nodes/dev-controlplane-1");
});

test("the network: the host holds the first address, the DHCP server the last, all in the cluster's namespace", () => {
  const plan = planQemuCluster({ name: "dev", cidr: "10.9.8.0/28" });
  assert.equal(plan.gateway, "10.9.8.1");
  assert.equal(plan.dhcpServerAddress, "10.9.8.14");
  assert.equal(plan.netmask, "255.255.255.240");
  assert.equal(plan.netns, "stele-dev");
  assert.match(plan.hostLink, /^st[0-9a-f]{7}h$/);
  assert.ok(plan.hostLink.startsWith(plan.linkPrefix));
});

test("a network with no room left for the DHCP server is refused, naming --cidr", () => {
  // /29: 6 host addresses = the host + 5 nodes, none left for the server.
  assert.throws(() => planQemuCluster({ controlPlanes: 3, workers: 2, cidr: "10.9.8.0/29" }), {
    code: "invalid-argument",
    message: /--cidr 10\.9\.8\.0\/29 is too small: .* 7 host addresses/,
  });
  assert.equal(
    planQemuCluster({ controlPlanes: 3, workers: 1, cidr: "10.9.8.0/29" }).dhcpServerAddress,
    "10.9.8.6",
  );
});

for (const [flag, options, pattern] of [
  ["--memory", { memory: "256" }, /Invalid --memory "256": expected a whole number of MiB from 512/],
  ["--memory", { memory: "1g" }, /Invalid --memory "1g"/],
  ["--disk", { disk: "0" }, /Invalid --disk "0": expected a whole number of GiB from 1/],
  ["--disk", { disk: "1.5" }, /Invalid --disk "1\.5"/],
  ["--boot", { boot: "bios" }, /Invalid --boot "bios": expected uefi or direct/],
] as const) {
  test(`${flag} ${JSON.stringify(Object.values(options)[0])} is refused before anything is made`, () => {
    assert.throws(
      () => planQemuCluster(options),
      (error: Error & { code?: string; hint?: string }) => {
        assert.equal(error.code, "invalid-argument");
        assert.match(error.message, pattern);
        assert.ok(error.hint);
        return true;
      },
    );
  });
}

test("the container provisioner's flag checks still apply (a bad --name)", () => {
  assert.throws(() => planQemuCluster({ name: "Dev_1" }), {
    code: "invalid-argument",
    message: /Invalid --name/,
  });
});

test("MACs: locally administered QEMU prefix, stable for a node, different between nodes and clusters", () => {
  const plan = planQemuCluster({ name: "dev", controlPlanes: 3, workers: 3 });
  const macs = plan.nodes.map((n) => n.mac);
  assert.equal(new Set(macs).size, macs.length);
  assert.deepEqual(
    planQemuCluster({ name: "dev", controlPlanes: 3, workers: 3 }).nodes.map((n) => n.mac),
    macs,
  );
  assert.notEqual(planQemuCluster({ name: "other" }).nodes[0]!.mac, macs[0]);
  fc.assert(
    fc.property(fc.string(), fc.string(), (cluster, node) => {
      assert.match(nodeMac(cluster, node), /^52:54:00(:[0-9a-f]{2}){3}$/);
    }),
  );
});
