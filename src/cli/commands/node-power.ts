import { type Command, Option } from "commander";
import type { ResetPartitionSpec } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../machinery/errors.ts";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { type NodeTarget, openNodeSession } from "../client/node-session.ts";

const WIPE_MODES = ["all", "system-disk", "user-disks"] as const;

// The system partitions `--wipe-mode system-disk` wipes; an empty list means all of them to the node.
const SYSTEM_PARTITIONS = ["STATE", "EPHEMERAL"] as const;

/** Registers `stelectl reboot`, `shutdown` and `reset`; each prints the actor id that tags the events caused. */
export function registerPowerCommands(program: Command): void {
  program
    .command("reboot")
    .description("Reboot the nodes")
    .addOption(
      new Option("-m, --mode <mode>", "how to reboot").choices(["default", "powercycle"]).default("default"),
    )
    .action(async (options: { mode: "default" | "powercycle" }, command: Command) => {
      await acknowledge(command, "reboot", (target) =>
        callUnary(target.machine, "reboot", {
          request: { mode: options.mode === "powercycle" ? "REBOOT_MODE_POWERCYCLE" : "REBOOT_MODE_DEFAULT" },
          metadata: target.metadata,
        }),
      );
    });

  program
    .command("shutdown")
    .description("Power the nodes off")
    .option("--force", "shut down even if etcd would lose quorum", false)
    .action(async (options: { force: boolean }, command: Command) => {
      await acknowledge(command, "shutdown", (target) =>
        callUnary(target.machine, "shutdown", {
          request: { force: options.force },
          metadata: target.metadata,
        }),
      );
    });

  program
    .command("reset")
    .description("Wipe the nodes back to a state where they can be installed anew")
    .option(
      "--graceful [bool]",
      "leave etcd and drain first (--graceful=false as talosctl takes it)",
      parseBoolean,
      true,
    )
    .option("--no-graceful", "wipe the node as it stands")
    .option("--reboot", "reboot after the reset instead of powering off", false)
    .addOption(new Option("--wipe-mode <mode>", "what to wipe").choices(WIPE_MODES).default("all"))
    .option(
      "--system-labels-to-wipe <labels>",
      `only these system partitions, comma-separated (${SYSTEM_PARTITIONS.join(", ")}); e.g. EPHEMERAL keeps the config`,
    )
    .action(
      async (
        options: {
          graceful: boolean;
          reboot: boolean;
          wipeMode: (typeof WIPE_MODES)[number];
          systemLabelsToWipe?: string;
        },
        command: Command,
      ) => {
        if (options.wipeMode === "user-disks") {
          throw new SteleError(
            "failed-precondition",
            "Cannot wipe user disks: the node API's ResetRequest names system partitions only",
            "Use --wipe-mode all or system-disk; wiping user disks comes with a later API version",
          );
        }
        const labels = options.systemLabelsToWipe
          ? parseSystemLabels(options.systemLabelsToWipe)
          : options.wipeMode === "system-disk"
            ? SYSTEM_PARTITIONS
            : [];
        const partitions: ResetPartitionSpec[] = labels.map((label) => ({ label, wipe: false }));
        await acknowledge(command, "reset", (target) =>
          callUnary(target.machine, "reset", {
            request: {
              graceful: options.graceful,
              reboot: options.reboot,
              systemPartitionsToWipe: partitions,
            },
            metadata: target.metadata,
          }),
        );
      },
    );
}

async function acknowledge(
  command: Command,
  what: string,
  call: (target: NodeTarget) => Promise<Array<{ actorId: string }>>,
): Promise<void> {
  const session = await openNodeSession(command);
  try {
    const replies = await fanOut(session, call);
    for (const { node, value } of replies)
      for (const reply of value)
        process.stdout.write(
          `${node}: ${what} started (actor id ${reply.actorId}: follow with \`stelectl events --actor-id ${reply.actorId}\`)\n`,
        );
  } finally {
    session.close();
  }
}

/** `--system-labels-to-wipe STATE,EPHEMERAL` → the labels, refusing any other name. */
export function parseSystemLabels(text: string): (typeof SYSTEM_PARTITIONS)[number][] {
  const labels = text
    .split(",")
    .map((label) => label.trim().toUpperCase())
    .filter((label) => label !== "");
  const known = new Set<string>(SYSTEM_PARTITIONS);
  const unknown = labels.filter((label) => !known.has(label));
  if (labels.length === 0 || unknown.length > 0) {
    throw new SteleError(
      "invalid-argument",
      `Unknown system partition label in --system-labels-to-wipe: ${unknown.join(", ") || "(none given)"}`,
      `Name one or more of ${SYSTEM_PARTITIONS.join(", ")}, comma-separated`,
    );
  }
  return labels as (typeof SYSTEM_PARTITIONS)[number][];
}

/** A flag's `true`/`false` value (`--graceful=false`); anything else is refused by name. */
export function parseBoolean(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (value === "true" || value === "1" || value === "yes") return true;
  if (value === "false" || value === "0" || value === "no") return false;
  throw new SteleError(
    "invalid-argument",
    `Not a boolean: ${text}`,
    "Write true or false, for example --graceful=false",
  );
}
