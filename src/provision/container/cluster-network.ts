import { isSteleError } from "../../machinery/errors.ts";
import type { ClusterPlan, PlannedNode } from "./cluster-plan.ts";
import { cidrsOverlap, parseIpv4, parseIpv4Cidr } from "./ipv4-cidr.ts";
import { CommandError, runCommand } from "./run-command.ts";

/** What the network functions need of a plan: it may also come from a half-written cluster.json. */
export interface ClusterNetworkPlan {
  name: string;
  cidr: string;
  prefixLength: number;
  bridge: { name: string; address: string };
  linkPrefix: string;
  nodes: ReadonlyArray<Pick<PlannedNode, "name" | "address" | "netns" | "hostVeth">>;
}

/** Options of the network functions; `run` is replaceable so tests can record the commands. */
export interface ClusterNetworkOptions {
  run?: typeof runCommand;
}

const NETWORK_HINT =
  "run `stelectl cluster destroy --name <name>` to remove what was made, then check `ip -o link` and `ip netns list`";

/**
 * Creates a cluster's private network with iproute2: a bridge holding the network's first address
 * (so the host reaches every node), and per node a network namespace, a veth pair whose host end
 * is on the bridge and whose other end is `eth0` inside the namespace with the node's address, and
 * `lo` up. There is no default route, no NAT and no forwarding: nodes reach each other and the host,
 * and nothing leaves the machine. Each failing command is reported with its stderr.
 */
export async function createClusterNetwork(
  plan: ClusterNetworkPlan,
  options: ClusterNetworkOptions = {},
): Promise<void> {
  const ip = (...args: string[]) => (options.run ?? runCommand)("ip", args, { hint: NETWORK_HINT });
  await ip("link", "add", plan.bridge.name, "type", "bridge");
  await ip("addr", "add", `${plan.bridge.address}/${plan.prefixLength}`, "dev", plan.bridge.name);
  await ip("link", "set", plan.bridge.name, "up");
  // Nodes one after another: the commands take milliseconds, and an error then names one node.
  for (const node of plan.nodes) {
    await ip("netns", "add", node.netns);
    // The peer is created inside the namespace under its final name: no host-side name to leak.
    await ip("link", "add", node.hostVeth, "type", "veth", "peer", "name", "eth0", "netns", node.netns);
    await ip("link", "set", node.hostVeth, "master", plan.bridge.name);
    await ip("link", "set", node.hostVeth, "up");
    await ip("-n", node.netns, "addr", "add", `${node.address}/${plan.prefixLength}`, "dev", "eth0");
    await ip("-n", node.netns, "link", "set", "eth0", "up");
    await ip("-n", node.netns, "link", "set", "lo", "up");
  }
}

/**
 * Removes a cluster's network: every veth and the bridge (found by the cluster's link prefix, so
 * links of a half-created cluster go too), then every network namespace of the plan and any other
 * named like the cluster's. Idempotent: what is already gone is skipped. Deleting the host end of a
 * veth removes its peer at once, instead of 1–2 s after the namespace is deleted, so the names can
 * be reused immediately.
 */
export async function destroyClusterNetwork(
  plan: ClusterNetworkPlan,
  options: ClusterNetworkOptions = {},
): Promise<void> {
  const run = options.run ?? runCommand;
  const links = (await listClusterLinks(plan, { run })).sort((a, b) =>
    // veths first, then the bridge
    a === plan.bridge.name ? 1 : b === plan.bridge.name ? -1 : a.localeCompare(b),
  );
  for (const link of links) await tolerateMissing(run("ip", ["link", "del", link]));
  for (const netns of await listClusterNetns(plan, { run })) {
    await tolerateMissing(run("ip", ["netns", "del", netns]));
  }
}

/** The host links of a cluster that exist now: its bridge and host-side veths. */
export async function listClusterLinks(
  plan: Pick<ClusterNetworkPlan, "linkPrefix" | "bridge" | "nodes">,
  options: ClusterNetworkOptions = {},
): Promise<string[]> {
  const { stdout } = await (options.run ?? runCommand)("ip", ["-o", "link", "show"]);
  const ours = new RegExp(`^${plan.linkPrefix}(br|v\\d+)$`);
  const planned = new Set([plan.bridge.name, ...plan.nodes.map((node) => node.hostVeth)]);
  return linkNames(stdout).filter((name) => ours.test(name) || planned.has(name));
}

/** The network namespaces of a cluster that exist now: those of its plan and any named like its nodes'. */
export async function listClusterNetns(
  plan: Pick<ClusterNetworkPlan, "name" | "nodes">,
  options: ClusterNetworkOptions = {},
): Promise<string[]> {
  const { stdout } = await (options.run ?? runCommand)("ip", ["netns", "list"]);
  const name = escapeRegExp(plan.name);
  const ours = new RegExp(`^stele-${name}-${name}-(controlplane|worker)-\\d+$`);
  const planned = new Set(plan.nodes.map((node) => node.netns));
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((netns) => netns !== "" && (ours.test(netns) || planned.has(netns)));
}

/**
 * What on the host stands in the way of a planned network: links or namespaces with the cluster's
 * names, and host addresses or routes inside its CIDR (nodes could not reach such a host, and the
 * host would route their traffic the wrong way). Empty when the network can be created.
 */
export async function findNetworkConflicts(
  plan: ClusterPlan,
  options: ClusterNetworkOptions = {},
): Promise<string[]> {
  const run = options.run ?? runCommand;
  const conflicts: string[] = [];
  for (const link of await listClusterLinks(plan, { run })) conflicts.push(`link ${link} exists`);
  for (const netns of await listClusterNetns(plan, { run }))
    conflicts.push(`network namespace ${netns} exists`);
  const cidr = parseIpv4Cidr(plan.cidr, { flag: "--cidr" });
  const addresses = await run("ip", ["-o", "-4", "addr", "show"]);
  for (const line of addresses.stdout.split("\n")) {
    const match = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line);
    if (!match) continue;
    const network = hostNetwork(match[2]!);
    if (network && cidrsOverlap(network, cidr)) {
      conflicts.push(`host address ${match[2]} on ${match[1]} is inside ${plan.cidr}`);
    }
  }
  const routes = await run("ip", ["-4", "route", "show"]);
  for (const line of routes.stdout.split("\n")) {
    const destination = line.trim().split(/\s+/)[0] ?? "";
    if (destination === "" || destination === "default") continue;
    const network = hostNetwork(destination);
    if (network && cidrsOverlap(network, cidr)) {
      conflicts.push(`host route ${line.trim()} overlaps ${plan.cidr}`);
    }
  }
  return [...new Set(conflicts)];
}

/** The network of `ADDRESS[/PREFIX]` as the host sees it, or undefined when it is not IPv4. */
function hostNetwork(text: string) {
  const [address = "", prefix = "32"] = text.split("/");
  const value = parseIpv4(address);
  if (value === undefined || !/^\d+$/.test(prefix)) return undefined;
  const prefixLength = Number(prefix);
  const size = 2 ** (32 - prefixLength);
  return { network: value - (value % size), prefixLength };
}

/** The interface names in `ip -o link show` output (without the `@peer` suffix). */
function linkNames(output: string): string[] {
  return output
    .split("\n")
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Awaits a deletion, treating "already gone" as done: teardown must be repeatable. */
async function tolerateMissing(deletion: Promise<unknown>): Promise<void> {
  try {
    await deletion;
  } catch (error) {
    if (
      isSteleError(error) &&
      error instanceof CommandError &&
      /Cannot find device|No such file or directory|does not exist/.test(error.stderr)
    ) {
      return;
    }
    throw error;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
