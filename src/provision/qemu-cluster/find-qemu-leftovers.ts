import { findLeftovers, type Leftover } from "../container/find-leftovers.ts";
import type { runCommand } from "../container/run-command.ts";
import { asContainerPlan, type QemuClusterShape } from "./qemu-cluster-state.ts";
import { listNamespaceLinks } from "./qemu-network.ts";

/**
 * Everything of a QEMU cluster still on the host: what the container provisioner's findLeftovers
 * finds for the same names (processes naming the cluster dir — QEMU, swtpm and the DHCP server all
 * do, through their disk, state and log paths —, the cluster's network namespace, its host link,
 * cgroups, loop devices, mounts and the dir), plus every tap or bridge still in the namespace.
 * Empty after a clean destroy.
 */
export async function findQemuLeftovers(
  cluster: QemuClusterShape,
  options: { keepState?: boolean; run?: typeof runCommand } = {},
): Promise<Leftover[]> {
  const plan = asContainerPlan(cluster);
  // The namespace is every node's: named once so findLeftovers looks for it even with no node known.
  const target = { ...plan, nodes: plan.nodes.length > 0 ? plan.nodes : [placeholderNode(cluster)] };
  const leftovers = await findLeftovers(target, {
    keepState: options.keepState ?? false,
    ...(options.run ? { run: options.run } : {}),
  });
  for (const link of await listNamespaceLinks(cluster.netns, options.run ? { run: options.run } : {})) {
    leftovers.push({ kind: "link", what: `${link} in network namespace ${cluster.netns}` });
  }
  return leftovers;
}

function placeholderNode(cluster: QemuClusterShape) {
  return { name: cluster.name, address: "", netns: cluster.netns, hostVeth: cluster.hostLink };
}
