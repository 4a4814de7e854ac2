import assert from "node:assert/strict";
import { test } from "node:test";
import { CommandError } from "../container/run-command.ts";
import { planQemuCluster } from "./qemu-cluster-plan.ts";
import { createQemuNetwork, destroyQemuNetwork } from "./qemu-network.ts";

const plan = planQemuCluster({ name: "dev", controlPlanes: 1, workers: 1, cidr: "10.9.8.0/24" });

function recorder(fail?: (line: string) => string | undefined) {
  const lines: string[] = [];
  const run = async (command: string, args: readonly string[]) => {
    const line = [command, ...args].join(" ");
    lines.push(line);
    const stderr = fail?.(line);
    if (stderr !== undefined)
      throw new CommandError(`Command failed: ${line}: ${stderr}`, {
        stderr,
        hint: undefined,
        cause: undefined,
      });
    return { stdout: "", stderr: "" };
  };
  return { lines, run };
}

test("the network: a namespace with a bridge and the taps, a host link with the gateway, a route for broadcasts", async () => {
  const { lines, run } = recorder();
  await createQemuNetwork(plan, { run });
  const host = plan.hostLink;
  assert.deepEqual(lines, [
    "ip netns add stele-dev",
    "ip -n stele-dev link set lo up",
    "ip -n stele-dev link add br0 type bridge",
    "ip -n stele-dev addr add 10.9.8.254/24 dev br0",
    "ip -n stele-dev link set br0 up",
    "ip -n stele-dev route add 255.255.255.255/32 dev br0",
    `ip link add ${host} type veth peer name uplink netns stele-dev`,
    "ip -n stele-dev link set uplink master br0",
    "ip -n stele-dev link set uplink up",
    `ip addr add 10.9.8.1/24 dev ${host}`,
    `ip link set ${host} up`,
    "ip -n stele-dev tuntap add dev tap1 mode tap",
    "ip -n stele-dev link set tap1 master br0",
    "ip -n stele-dev link set tap1 up",
    "ip -n stele-dev tuntap add dev tap2 mode tap",
    "ip -n stele-dev link set tap2 master br0",
    "ip -n stele-dev link set tap2 up",
  ]);
  assert.ok(
    !lines.some((line) => /route add default|nat|forward/.test(line)),
    "nothing routes out of the cluster",
  );
});

test("destroy removes the host link, then the namespace, and skips what is already gone", async () => {
  const { lines, run } = recorder((line) => (line.includes("link del") ? "Cannot find device" : undefined));
  await destroyQemuNetwork(plan, { run });
  assert.deepEqual(lines, [`ip link del ${plan.hostLink}`, "ip netns del stele-dev"]);
  const failing = recorder((line) => (line.includes("netns del") ? "Device or resource busy" : undefined));
  await assert.rejects(destroyQemuNetwork(plan, { run: failing.run }), /Device or resource busy/);
});
