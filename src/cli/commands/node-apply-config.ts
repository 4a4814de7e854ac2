import { type Command, Option } from "commander";
import type { ApplyMode } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { parseDuration } from "../../machinery/duration.ts";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { openNodeSession } from "../client/node-session.ts";
import { readInputFile } from "../input.ts";

const MODES: Readonly<Record<string, ApplyMode>> = {
  auto: "APPLY_MODE_AUTO",
  "no-reboot": "APPLY_MODE_NO_REBOOT",
  reboot: "APPLY_MODE_REBOOT",
  staged: "APPLY_MODE_STAGED",
  try: "APPLY_MODE_TRY",
};

interface ApplyConfigOptions {
  file: string;
  mode: string;
  dryRun: boolean;
  tryTimeout: string;
  insecure: boolean;
  certFingerprint?: string;
}

/** Registers `stelectl apply-config`: send a machine config to nodes, or to a node in maintenance mode. */
export function registerApplyConfigCommand(program: Command): void {
  program
    .command("apply-config")
    .description("Apply a machine config to the nodes; an invalid one is rejected whole")
    .requiredOption("-f, --file <file>", "machine config to apply (- reads standard input)")
    .addOption(new Option("-m, --mode <mode>", "how to apply it").choices(Object.keys(MODES)).default("auto"))
    .option("--dry-run", "show what would change, apply nothing", false)
    .option("--try-timeout <duration>", "with --mode try: roll back after this long", "1m")
    .option(
      "-i, --insecure",
      "maintenance mode: no client certificate; pin the node with --cert-fingerprint",
      false,
    )
    .option(
      "--cert-fingerprint <sha256>",
      "with --insecure: the node's certificate fingerprint from its console",
    )
    .action(async (options: ApplyConfigOptions, command: Command) => {
      const data = Buffer.from(readInputFile(options.file, "machine config"));
      const tryTimeoutMs = parseDuration(options.tryTimeout, { label: "--try-timeout" });
      const session = await openNodeSession(command, {
        insecure: options.insecure,
        ...(options.certFingerprint === undefined ? {} : { certFingerprint: options.certFingerprint }),
      });
      try {
        const replies = await fanOut(session, (target) =>
          callUnary(target.machine, "applyConfiguration", {
            request: {
              data,
              mode: MODES[options.mode] ?? "APPLY_MODE_AUTO",
              dryRun: options.dryRun,
              ...(options.mode === "try"
                ? {
                    tryTimeout: {
                      seconds: BigInt(Math.floor(tryTimeoutMs / 1000)),
                      nanos: (tryTimeoutMs % 1000) * 1e6,
                    },
                  }
                : {}),
            },
            metadata: target.metadata,
          }),
        );
        for (const { node, value } of replies) {
          for (const reply of value) {
            const mode = reply.mode
              .replace(/^APPLY_MODE_/, "")
              .toLowerCase()
              .replaceAll("_", "-");
            const verb = options.dryRun ? "would apply" : "applied";
            process.stdout.write(
              `${node}: ${verb} the configuration (mode ${mode}${reply.modeDetails ? `: ${reply.modeDetails}` : ""})\n`,
            );
            for (const warning of reply.warnings) process.stdout.write(`${node}: warning: ${warning}\n`);
            if (reply.diff) process.stdout.write(reply.diff.endsWith("\n") ? reply.diff : `${reply.diff}\n`);
          }
        }
      } finally {
        session.close();
      }
    });
}
