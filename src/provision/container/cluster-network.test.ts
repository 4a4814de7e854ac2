import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  createClusterNetwork,
  destroyClusterNetwork,
  findNetworkConflicts,
  listClusterLinks,
  listClusterNetns,
} from "./cluster-network.ts";
import { planCluster } from "./cluster-plan.ts";
import { findLeftovers } from "./find-leftovers.ts";

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** A plan no other test run uses at the same time: random name, random 10.250.x.0/28. */
function randomPlan(workers = 1) {
  const name = `t-${randomBytes(4).toString("hex")}`;
  const cidr = `10.250.${1 + Math.floor(Math.random() * 254)}.${16 * Math.floor(Math.random() * 16)}/28`;
  return planCluster({ name, cidr, controlPlanes: 1, workers, stateDir: `/tmp/stele-test-clusters-${name}` });
}

/**
 * Whether the node at `from` reaches `to`'s address over TCP through the bridge: a listener in one
 * namespace, a connection from the other (this machine has no ping; a TCP handshake proves more).
 */
async function connects(fromNetns: string, toNetns: string, toAddress: string): Promise<boolean> {
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const server = execFile("ip", [
    "netns",
    "exec",
    toNetns,
    process.execPath,
    "-e",
    `const s=require("node:net").createServer((c)=>{c.end("pong");s.close()});s.listen(${port},"${toAddress}",()=>console.log("up"));setTimeout(()=>process.exit(3),5000)`,
  ]);
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once("data", () => resolve());
    server.once("exit", (code) => reject(new Error(`listener exited ${code}`)));
  });
  try {
    const { stdout } = await exec("ip", [
      "netns",
      "exec",
      fromNetns,
      process.execPath,
      "-e",
      `const c=require("node:net").connect(${port},"${toAddress}");c.setTimeout(2000,()=>process.exit(4));c.on("data",(d)=>{process.stdout.write(d);process.exit(0)});c.on("error",()=>process.exit(5))`,
    ]);
    return stdout === "pong";
  } catch {
    return false;
  } finally {
    server.kill();
  }
}

describe("the cluster network, for real", { skip: !isRoot && "needs root (network namespaces)" }, () => {
  const plan = randomPlan();
  before(async () => {
    await createClusterNetwork(plan);
  });
  after(async () => {
    await destroyClusterNetwork(plan);
  });

  test("two nodes reach each other through the bridge", async () => {
    const [a, b] = plan.nodes;
    assert.ok(await connects(a!.netns, b!.netns, b!.address), `${a!.name} cannot reach ${b!.address}`);
    assert.ok(await connects(b!.netns, a!.netns, a!.address), `${b!.name} cannot reach ${a!.address}`);
  });

  test("inside a node: eth0 with its address, lo up, and no default route out", async () => {
    const node = plan.nodes[0]!;
    const addresses = (await exec("ip", ["-n", node.netns, "-o", "-4", "addr", "show"])).stdout;
    assert.match(addresses, new RegExp(`eth0\\s+inet ${node.address.replaceAll(".", "\\.")}/28 `));
    assert.match(addresses, /lo\s+inet 127\.0\.0\.1\/8/);
    const routes = (await exec("ip", ["-n", node.netns, "-4", "route", "show"])).stdout;
    assert.doesNotMatch(routes, /default/);
  });

  test("the host holds the bridge address, and a second create is refused as a conflict", async () => {
    const addresses = (await exec("ip", ["-o", "-4", "addr", "show", "dev", plan.bridge.name])).stdout;
    assert.match(addresses, new RegExp(`inet ${plan.bridge.address.replaceAll(".", "\\.")}/28`));
    const conflicts = await findNetworkConflicts(plan);
    assert.ok(
      conflicts.some((c) => c === `link ${plan.bridge.name} exists`),
      conflicts.join("\n"),
    );
    assert.ok(conflicts.some((c) => c.startsWith(`network namespace ${plan.nodes[0]!.netns}`)));
    assert.ok(
      conflicts.some((c) => c.startsWith(`host address ${plan.bridge.address}/28 on ${plan.bridge.name}`)),
    );
  });
});

describe("teardown", { skip: !isRoot && "needs root (network namespaces)" }, () => {
  test("removes every link and namespace, and a second run is a no-op", async () => {
    const plan = randomPlan(2);
    await createClusterNetwork(plan);
    assert.equal((await listClusterLinks(plan)).length, 4);
    assert.equal((await listClusterNetns(plan)).length, 3);
    await destroyClusterNetwork(plan);
    assert.deepEqual(await listClusterLinks(plan), []);
    assert.deepEqual(await listClusterNetns(plan), []);
    await destroyClusterNetwork(plan);
    assert.deepEqual(await findNetworkConflicts(plan), []);
  });

  test("removes a half-created network (a create that failed after the first node)", async () => {
    const plan = randomPlan();
    await exec("ip", ["link", "add", plan.bridge.name, "type", "bridge"]);
    await exec("ip", ["netns", "add", plan.nodes[0]!.netns]);
    await exec("ip", [
      "link",
      "add",
      plan.nodes[0]!.hostVeth,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      plan.nodes[0]!.netns,
    ]);
    await destroyClusterNetwork(plan);
    assert.deepEqual(await findLeftovers(plan), []);
  });

  test("the leftovers finder sees a namespace left behind, then nothing once it is gone", async () => {
    const plan = randomPlan();
    await exec("ip", ["netns", "add", plan.nodes[1]!.netns]);
    try {
      assert.deepEqual(await findLeftovers(plan), [{ kind: "netns", what: plan.nodes[1]!.netns }]);
    } finally {
      await exec("ip", ["netns", "del", plan.nodes[1]!.netns]);
    }
    assert.deepEqual(await findLeftovers(plan), []);
  });

  test("re-creating the same network at once after teardown works (no 1–2 s wait for veths)", async () => {
    const plan = randomPlan();
    await createClusterNetwork(plan);
    await destroyClusterNetwork(plan);
    await createClusterNetwork(plan);
    await destroyClusterNetwork(plan);
    assert.deepEqual(await findLeftovers(plan), []);
  });
});
