import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../../machinery/errors.ts";
import { type ClusterPlanOptions, planCluster } from "./cluster-plan.ts";
import { parseIpv4Cidr } from "./ipv4-cidr.ts";

test("the defaults: stele-local, one control plane and one worker on 10.5.0.0/24", () => {
  const plan = planCluster({ home: "/home/ann" });
  assert.equal(plan.name, "stele-local");
  assert.equal(plan.clusterDir, "/home/ann/.stele/clusters/stele-local");
  assert.equal(plan.cidr, "10.5.0.0/24");
  assert.equal(plan.bridge.address, "10.5.0.1");
  assert.equal(plan.endpoint, "https://10.5.0.2:6443");
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.role, n.address, n.maintenance]),
    [
      ["stele-local-controlplane-1", "controlplane", "10.5.0.2", false],
      ["stele-local-worker-1", "worker", "10.5.0.3", true],
    ],
  );
  const worker = plan.nodes[1]!;
  assert.equal(worker.netns, "stele-stele-local-stele-local-worker-1");
  assert.equal(worker.cgroup, "/stele/stele-local/stele-local-worker-1");
  assert.equal(worker.nodeDir, "/home/ann/.stele/clusters/stele-local/nodes/stele-local-worker-1");
});

test("control planes come first; the last worker boots through maintenance mode", () => {
  const plan = planCluster({ name: "dev", controlPlanes: "3", workers: "2", cidr: "192.168.7.0/29" });
  assert.deepEqual(
    plan.nodes.map((n) => `${n.name} ${n.address}${n.maintenance ? " maintenance" : ""}`),
    [
      "dev-controlplane-1 192.168.7.2",
      "dev-controlplane-2 192.168.7.3",
      "dev-controlplane-3 192.168.7.4",
      "dev-worker-1 192.168.7.5",
      "dev-worker-2 192.168.7.6 maintenance",
    ],
  );
});

test("without workers the last control plane boots through maintenance mode", () => {
  const plan = planCluster({ name: "solo", controlPlanes: 2, workers: 0 });
  assert.deepEqual(
    plan.nodes.map((n) => n.maintenance),
    [false, true],
  );
});

test("--state-dir is made absolute and ~ expands", () => {
  assert.equal(planCluster({ stateDir: "~/c", home: "/h" }).clusterDir, "/h/c/stele-local");
  assert.equal(planCluster({ stateDir: "/var/lib/x", name: "a" }).clusterDir, "/var/lib/x/a");
  assert.equal(planCluster({ stateDir: "rel" }).clusterDir, `${process.cwd()}/rel/stele-local`);
});

test("--kubernetes-version is resolved to the pinned patch release", () => {
  assert.equal(planCluster({ kubernetesVersion: "1.36" }).kubernetesVersion, "1.36.4");
  assert.equal(planCluster({}).kubernetesVersion, undefined);
});

test("link names stay within 15 characters, are unique, and differ between clusters (property)", () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 40 }),
      (name, controlPlanes, workers) => {
        const plan = planCluster({ name, controlPlanes, workers, cidr: "10.0.0.0/16" });
        const links = [plan.bridge.name, ...plan.nodes.map((n) => n.hostVeth)];
        for (const link of links) assert.ok(link.length <= 15 && /^[a-z0-9]+$/.test(link), link);
        assert.equal(new Set(links).size, links.length);
        assert.equal(new Set(plan.nodes.map((n) => n.address)).size, plan.nodes.length);
        const other = planCluster({ name: `${name}x`, controlPlanes: 1, workers: 0 });
        assert.notEqual(other.bridge.name, plan.bridge.name);
      },
    ),
    { numRuns: 300 },
  );
});

test("a network with exactly enough room is accepted: /29 holds the bridge and 5 nodes", () => {
  assert.equal(
    planCluster({ cidr: "10.1.0.8/29", controlPlanes: 3, workers: 2 }).nodes.at(-1)!.address,
    "10.1.0.14",
  );
});

const refusals: Array<[string, ClusterPlanOptions, RegExp]> = [
  [
    "a CIDR too small",
    { cidr: "10.1.0.8/29", controlPlanes: 3, workers: 3 },
    /^--cidr 10\.1\.0\.8\/29 is too small: it has room for 6 host addresses, the bridge and 6 nodes need 7$/,
  ],
  [
    "a /31",
    { cidr: "10.1.0.0/31" },
    /^--cidr 10\.1\.0\.0\/31 is too small: it has room for 0 host addresses/,
  ],
  [
    "host bits set",
    { cidr: "10.5.0.7/24" },
    /^Invalid --cidr "10\.5\.0\.7\/24": host bits are set \(the network of 10\.5\.0\.7\/24 is 10\.5\.0\.0\/24\)$/,
  ],
  ["IPv6", { cidr: "fd00::/64" }, /^Invalid --cidr "fd00::\/64": IPv6 networks are not supported yet$/],
  [
    "no prefix",
    { cidr: "10.5.0.0" },
    /^Invalid --cidr "10\.5\.0\.0": expected an IPv4 network ADDRESS\/PREFIX$/,
  ],
  ["an octet over 255", { cidr: "10.5.256.0/24" }, /^Invalid --cidr "10\.5\.256\.0\/24"/],
  ["a prefix over 32", { cidr: "10.5.0.0/33" }, /^Invalid --cidr "10\.5\.0\.0\/33"/],
  [
    "no control plane",
    { controlPlanes: "0" },
    /^Invalid --controlplanes "0": expected a whole number of at least 1$/,
  ],
  [
    "a negative worker count",
    { workers: "-1" },
    /^Invalid --workers "-1": expected a whole number of at least 0$/,
  ],
  ["a fractional count", { workers: "1.5" }, /^Invalid --workers "1\.5"/],
  ["a word as a count", { controlPlanes: "three" }, /^Invalid --controlplanes "three"/],
  [
    "too many nodes",
    { controlPlanes: 600, workers: 600, cidr: "10.0.0.0/16" },
    /^Too many nodes: --controlplanes 600 and --workers 600 make 1200, more than 1000$/,
  ],
  ["an upper-case name", { name: "Dev" }, /^Invalid --name "Dev": expected a DNS label/],
  ["a name with a dot", { name: "a.b" }, /^Invalid --name "a\.b"/],
  [
    "a name too long for its node names",
    { name: "a".repeat(50) },
    /^Invalid --name "a{50}": .*within 63 characters$/,
  ],
  [
    "an unsupported Kubernetes version",
    { kubernetesVersion: "1.20" },
    /^Invalid --kubernetes-version "1\.20": Kubernetes 1\.20 is not supported/,
  ],
];
for (const [what, options, message] of refusals) {
  test(`refused, naming the flag and the value: ${what}`, () => {
    assert.throws(
      () => planCluster(options),
      (error: unknown) => {
        assert.ok(isSteleError(error), String(error));
        assert.equal(error.code, "invalid-argument");
        assert.match(error.message, message);
        assert.ok(error.hint, "every refusal says what to do");
        return true;
      },
    );
  });
}

test("a CIDR too small suggests one that fits", () => {
  assert.throws(() => planCluster({ cidr: "10.1.0.0/30", controlPlanes: 3, workers: 1 }), {
    hint: "pass a larger network, e.g. --cidr 10.1.0.0/29",
  });
});

test("CIDRs round-trip and leading zeros are refused (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 0, max: 32 }),
      (address, prefix) => {
        const size = 2 ** (32 - prefix);
        const network = address - (address % size);
        const text = `${[24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join(".")}/${prefix}`;
        assert.deepEqual(parseIpv4Cidr(text, { flag: "--cidr" }), { network, prefixLength: prefix });
      },
    ),
  );
  assert.throws(() => parseIpv4Cidr("10.05.0.0/24", { flag: "--cidr" }), /expected an IPv4 network/);
});
