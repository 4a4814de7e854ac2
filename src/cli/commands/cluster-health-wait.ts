import { SteleError } from "../../machinery/errors.ts";
import type { HealthWaitTarget } from "../../provision/container/index.ts";
import { formatHealthProgress, runHealthChecks } from "../health/index.ts";

/**
 * The last step of `cluster create`: `stelectl health`'s checks on the nodes the cluster was made of
 * (not discovered: the plan is the truth here), each step shown as `stelectl health` shows it. Throws
 * naming the checks that did not hold, and create then tears the cluster down.
 */
export async function waitClusterHealthy(target: HealthWaitTarget): Promise<void> {
  const nodes = (role: string) => target.state.nodes.filter((n) => n.role === role).map((n) => n.address);
  const report = await runHealthChecks({
    context: target.context,
    controlPlaneNodes: nodes("controlplane"),
    workerNodes: nodes("worker"),
    timeoutMs: target.timeoutMs,
    signal: target.signal,
    onProgress: (event) => target.progress(formatHealthProgress(event).trimEnd()),
  });
  if (!report.ok) {
    const failed = report.checks.filter((check) => check.outcome === "failed");
    throw new SteleError(
      "unavailable",
      `Cluster not healthy: ${failed.map((c) => `${c.description} (${c.message})`).join("; ")}`,
      "Read the nodes' consoles (nodes/<node>/console.log in the cluster directory), or rerun with --skip-teardown-on-failure and use stelectl health",
    );
  }
}
