import type { HealthProgress } from "./run-health-checks.ts";

/**
 * One line of `stelectl health`'s progress, as talosctl prints its own: `waiting for …`, then the
 * reason it does not hold yet each time the reason changes, then `OK` or the failure; skipped checks
 * start with `SKIP` so a reader cannot take them for passed ones.
 */
export function formatHealthProgress(event: HealthProgress): string {
  switch (event.kind) {
    case "discovered": {
      const list = (type: string) =>
        event.nodes
          .filter((node) => node.machineType === type)
          .map((node) => node.address)
          .join(", ");
      const parts = [
        ["control plane", list("controlplane")],
        ["worker", list("worker")],
        ["unknown role", list("unknown")],
      ].filter(([, nodes]) => nodes !== "");
      return `discovered nodes: ${parts.map(([role, nodes]) => `${role}: ${nodes}`).join("; ") || "none"}\n`;
    }
    case "waiting":
      return event.message === undefined
        ? `waiting for ${event.description} ...\n`
        : `waiting for ${event.description}: ${event.message}\n`;
    case "passed":
      return `waiting for ${event.description}: OK (${seconds(event.elapsedMs)})\n`;
    case "failed":
      return `waiting for ${event.description}: FAILED after ${seconds(event.elapsedMs)}: ${event.message}\n`;
    case "skipped":
      return `SKIP ${event.check}: ${event.reason}\n`;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
