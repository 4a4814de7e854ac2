import type { HealthWaitTarget } from "../container/cluster-node-api.ts";
import { waitUntil } from "../container/wait-until.ts";

/**
 * The default health wait of both provisioners: every node's MachineStatus says ready. The CLI
 * passes `stelectl health`'s fuller check instead; this one keeps the library usable without it.
 */
export async function waitMachinesReady(target: HealthWaitTarget): Promise<void> {
  await Promise.all(
    target.state.nodes.map(async (node) => {
      await waitUntil(
        `${node.name} to be ready`,
        async () => {
          const status = await target.nodes.machineStatus(node.address);
          if (status.ready) return true;
          throw new Error(`stage ${status.stage}, waiting for ${status.unmet.join(", ") || "readiness"}`);
        },
        { timeoutMs: target.timeoutMs, signal: target.signal, intervalMs: 500 },
      );
      target.progress(`${node.name} is ready`);
    }),
  );
}
