import { isSteleError } from "../../machinery/errors.ts";
import { CommandError, runCommand } from "../container/run-command.ts";
import type { QemuClusterPlan } from "./qemu-cluster-plan.ts";

/** What the network functions need of a plan (a half-written state file has it too). */
export type QemuNetworkPlan = Pick<
  QemuClusterPlan,
  "netns" | "bridge" | "hostLink" | "gateway" | "dhcpServerAddress" | "prefixLength"
> & { nodes: ReadonlyArray<{ tap: string }> };

/** Options of the network functions; `run` is replaceable so tests can record the commands. */
export interface QemuNetworkOptions {
  run?: typeof runCommand;
}

const NETWORK_HINT =
  "run `stelectl cluster destroy --name <name>` to remove what was made, then check `ip -o link` and `ip netns list`";

/**
 * Creates a QEMU cluster's network with iproute2: the cluster's network namespace holding a
 * bridge with the DHCP server's address, one tap per VM on it (made here, so QEMU only opens it:
 * `script=no`), and a veth pair whose host end holds the gateway address and whose other end is on
 * the bridge, so the host reaches every node. The limited broadcast gets a route on the bridge:
 * the DHCP server answers clients without an address there, and a namespace without a default
 * route has no other way out for 255.255.255.255. No NAT, no forwarding, no default route: nodes
 * reach each other and the host, and nothing leaves the machine.
 */
export async function createQemuNetwork(
  plan: QemuNetworkPlan,
  options: QemuNetworkOptions = {},
): Promise<void> {
  const ip = (...args: string[]) => (options.run ?? runCommand)("ip", args, { hint: NETWORK_HINT });
  const inNs = (...args: string[]) => ip("-n", plan.netns, ...args);
  await ip("netns", "add", plan.netns);
  await inNs("link", "set", "lo", "up");
  await inNs("link", "add", plan.bridge, "type", "bridge");
  await inNs("addr", "add", `${plan.dhcpServerAddress}/${plan.prefixLength}`, "dev", plan.bridge);
  await inNs("link", "set", plan.bridge, "up");
  await inNs("route", "add", "255.255.255.255/32", "dev", plan.bridge);
  await ip("link", "add", plan.hostLink, "type", "veth", "peer", "name", "uplink", "netns", plan.netns);
  await inNs("link", "set", "uplink", "master", plan.bridge);
  await inNs("link", "set", "uplink", "up");
  await ip("addr", "add", `${plan.gateway}/${plan.prefixLength}`, "dev", plan.hostLink);
  await ip("link", "set", plan.hostLink, "up");
  for (const node of plan.nodes) {
    await inNs("tuntap", "add", "dev", node.tap, "mode", "tap");
    await inNs("link", "set", node.tap, "master", plan.bridge);
    await inNs("link", "set", node.tap, "up");
  }
}

/**
 * Removes a QEMU cluster's network: the host link first (its peer goes at once, instead of 1–2 s
 * after the namespace), then the namespace with the bridge and taps in it. Run after QEMU is
 * gone: a tap held open keeps its namespace alive. Idempotent.
 */
export async function destroyQemuNetwork(
  plan: Pick<QemuNetworkPlan, "netns" | "hostLink">,
  options: QemuNetworkOptions = {},
): Promise<void> {
  const run = options.run ?? runCommand;
  await tolerateMissing(run("ip", ["link", "del", plan.hostLink]));
  await tolerateMissing(run("ip", ["netns", "del", plan.netns]));
}

/** The taps (and any other links but lo) left in the cluster's namespace, empty when it is gone. */
export async function listNamespaceLinks(netns: string, options: QemuNetworkOptions = {}): Promise<string[]> {
  const run = options.run ?? runCommand;
  const { stdout } = await run("ip", ["netns", "list"]);
  const exists = stdout.split("\n").some((line) => line.trim().split(/\s+/)[0] === netns);
  if (!exists) return [];
  const links = await run("ip", ["-n", netns, "-o", "link", "show"]);
  return links.stdout
    .split("\n")
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== "lo");
}

/**
 * Whether the network of a QEMU cluster of this name is on the host (its namespace or its host
 * link): how `cluster destroy` recognises a QEMU cluster whose state file was never written,
 * without mistaking a container cluster's remains (its namespaces are per node) for one.
 */
export async function qemuNetworkExists(
  plan: Pick<QemuNetworkPlan, "netns" | "hostLink">,
  options: QemuNetworkOptions = {},
): Promise<boolean> {
  const run = options.run ?? runCommand;
  const namespaces = (await run("ip", ["netns", "list"])).stdout;
  if (namespaces.split("\n").some((line) => line.trim().split(/\s+/)[0] === plan.netns)) return true;
  const links = (await run("ip", ["-o", "link", "show"])).stdout;
  return links.split("\n").some((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] === plan.hostLink);
}

async function tolerateMissing(deletion: Promise<unknown>): Promise<void> {
  try {
    await deletion;
  } catch (error) {
    if (
      isSteleError(error) &&
      error instanceof CommandError &&
      /Cannot find device|No such file or directory|does not exist|Invalid argument/.test(error.stderr)
    ) {
      return;
    }
    throw error;
  }
}
