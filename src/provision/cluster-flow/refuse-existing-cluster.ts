import { existsSync } from "node:fs";
import { SteleError } from "../../machinery/errors.ts";
import { findNetworkConflicts } from "../container/cluster-network.ts";
import type { ClusterPlan } from "../container/cluster-plan.ts";
import type { runCommand } from "../container/run-command.ts";

/**
 * Refuses, before anything is made, to create over an existing cluster dir or into a network the
 * host already uses. A conflict that is a link or namespace of the cluster's own names is a
 * cluster left behind (destroy removes it); any other is the host's (another --cidr avoids it).
 * `leftBehind` adds to the hint what else that name can be (the QEMU provisioner's taps).
 */
export async function refuseExistingCluster(
  plan: ClusterPlan,
  options: { run?: typeof runCommand | undefined; leftBehind?: string },
): Promise<void> {
  const destroy = `stelectl cluster destroy --name ${plan.name}`;
  if (existsSync(plan.clusterDir)) {
    throw new SteleError(
      "already-exists",
      `Cluster ${plan.name} already exists: ${plan.clusterDir}`,
      `remove it with \`${destroy}\` (add --state-dir if you gave one), or choose another --name`,
    );
  }
  const conflicts = await findNetworkConflicts(plan, options.run ? { run: options.run } : {});
  if (conflicts.length === 0) return;
  const ours = conflicts.some((c) => c.startsWith("link ") || c.startsWith("network namespace "));
  throw new SteleError(
    ours ? "already-exists" : "failed-precondition",
    `Cannot create cluster ${plan.name} on ${plan.cidr}: ${conflicts.join("; ")}`,
    ours
      ? `a cluster named ${plan.name} left its network behind${options.leftBehind ?? ""}: remove it with \`${destroy}\``
      : "choose a --cidr no host interface or route uses, e.g. --cidr 10.251.0.0/24",
  );
}
