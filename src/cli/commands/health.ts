import type { Command } from "commander";
import { ensureContext } from "../../machinery/client/index.ts";
import { parseDuration } from "../../machinery/duration.ts";
import { SteleError } from "../../machinery/errors.ts";
import { interruptSignal } from "../client/interrupt-signal.ts";
import { type GlobalNodeOptions, splitList } from "../client/node-session.ts";
import { clientConfigPath, readClientConfig } from "../client-config-file.ts";
import { formatHealthProgress, runHealthChecks } from "../health/index.ts";

interface HealthOptions {
  controlPlaneNodes?: string;
  workerNodes?: string;
  waitTimeout: string;
}

/**
 * Registers `stelectl health`: waits for the cluster to be healthy, showing each check as it is
 * waited for, and exits non-zero naming the checks that did not pass within --wait-timeout.
 */
export function registerHealthCommand(program: Command): void {
  program
    .command("health")
    .description("Check the cluster's health, waiting for each check to pass (apid, readiness, etcd, clocks)")
    .option(
      "--control-plane-nodes <list>",
      "comma-separated control-plane nodes (default: discovered from the endpoint's members)",
    )
    .option("--worker-nodes <list>", "comma-separated worker nodes")
    .option("--wait-timeout <duration>", "how long to wait for every check to pass", "5m")
    .action(async (options: HealthOptions, command: Command) => {
      const timeoutMs = parseDuration(options.waitTimeout, { label: "--wait-timeout" });
      const globals = command.optsWithGlobals() as GlobalNodeOptions;
      const { context } = ensureContext(readClientConfig(clientConfigPath(command)), {
        ...(globals.context === undefined ? {} : { context: globals.context }),
        endpoints: splitList(globals.endpoints),
        nodes: splitList(globals.nodes),
      });
      const interrupt = interruptSignal();
      try {
        const report = await runHealthChecks({
          context,
          controlPlaneNodes: splitList(options.controlPlaneNodes),
          workerNodes: splitList(options.workerNodes),
          timeoutMs,
          signal: interrupt.signal,
          onProgress: (event) => process.stdout.write(formatHealthProgress(event)),
        });
        const failed = report.checks.filter((check) => check.outcome === "failed");
        if (failed.length > 0) {
          throw new SteleError(
            "unavailable",
            `Cluster not healthy: ${failed.map((check) => `${check.id} (${check.message})`).join("; ")}`,
            "Look at the failing nodes with `stelectl services` and `stelectl logs <service>`, or wait longer with --wait-timeout",
          );
        }
      } finally {
        interrupt.dispose();
      }
    });
}
