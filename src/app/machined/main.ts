/**
 * machined's entry point: `node src/app/machined/main.ts --state-dir DIR [--var-dir DIR] [--config FILE]
 * [--platform container|metal] [--apid-listen HOST:PORT] [--trustd-listen HOST:PORT]`. Boots the node,
 * serves the machine API on `<DIR>/run/machine.sock`, supervises apid (and trustd on control
 * planes), and on SIGTERM or SIGINT runs the shutdown sequence and exits 0 (so does a Shutdown call).
 *
 * As PID 1 (a sandboxed node, see src/provision/sandbox) it also reaps orphans, and an error nothing
 * caught is logged and ends the process with 1: PID 1 exiting ends the node, and its keeper reports
 * the failure rather than booting a broken node in a loop. On `metal` (the stage-1 init execs it
 * with `--platform metal`) PID 1 exiting would panic the kernel: the error stays on the console for
 * 10 s, then the machine reboots by reboot(2).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { APID_PORT } from "../../machinery/constants.ts";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { reboot } from "../../pkg/linux/index.ts";
import { nodeContainerServices } from "./containers/node-container-services.ts";
import type { Machined } from "./machined.ts";
import { nodeServices } from "./node-services.ts";
import { runMachined } from "./run-machined.ts";
import { OrphanReaper } from "./system/orphan-reaper.ts";

const isPid1 = process.pid === 1;

// etcd3 and grpc-js dial etcd members by IP, which sets the TLS server name to an IP (DEP0123); the
// certificates carry those IPs, so the warning is noise on the console. Others are still printed.
process.removeAllListeners("warning");
process.on("warning", (warning: Error & { code?: string }) => {
  if (warning.code !== "DEP0123")
    process.stderr.write(`${warning.name}: ${warning.message}
`);
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "state-dir": { type: "string" },
      "var-dir": { type: "string" },
      config: { type: "string" },
      platform: { type: "string", default: "container" },
      "apid-listen": { type: "string", default: `0.0.0.0:${APID_PORT}` },
      "trustd-listen": { type: "string" },
    },
    strict: true,
  });
  const stateDir = values["state-dir"];
  if (!stateDir) {
    process.stderr.write("error: missing --state-dir\nhint: machined --state-dir DIR [--config FILE]\n");
    process.exit(2);
  }
  if (values.platform !== "metal" && values.platform !== "container") {
    throw new SteleError(
      "invalid-argument",
      `Unknown platform: ${values.platform}`,
      "Run machined with --platform container or --platform metal",
    );
  }
  const platform = values.platform;
  if (isPid1) {
    new OrphanReaper({
      onError: (error) => process.stderr.write(`machined: orphan reaper: ${String(error)}\n`),
    }).start();
  }
  // containerd, cri and etcd run only where machined owns the machine (PID 1 of a sandbox, later
  // metal); a plain-process node (tests, `stelectl node run`) has apid and trustd only.
  let machined: Machined | undefined;
  const containers = isPid1
    ? nodeContainerServices({
        stateDir,
        varDir: values["var-dir"] ?? join(stateDir, "var"),
        config: () => machined?.config.current,
        store: () => required(machined).store,
        supervisor: () => required(machined).supervisor,
        logs: () => required(machined).logs,
      })
    : undefined;
  const services = nodeServices({
    stateDir,
    ...(containers ? { containers } : {}),
    configPath: join(stateDir, "state", "config.yaml"),
    listen: {
      apid: values["apid-listen"],
      ...(values["trustd-listen"] ? { trustd: values["trustd-listen"] } : {}),
    },
  });
  const running = await runMachined({
    stateDir,
    ...(values["var-dir"] ? { varDir: values["var-dir"] } : {}),
    configFile: values.config,
    platform,
    services,
    ...(containers
      ? {
          etcd: (created: Machined) => {
            machined = created;
            return containers.etcd;
          },
        }
      : {}),
    console: process.stderr,
  });
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    await running.stop();
    containers?.etcd.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void exit());
  process.on("SIGINT", () => void exit());
  await running.stopped;
  containers?.etcd.close();
  process.exit(0);
}

/** The daemon behind a getter the container services call only once it exists. */
function required(machined: Machined | undefined): Machined {
  if (!machined) throw new Error("machined is not constructed yet");
  return machined;
}

/** How long a fatal error of machined on metal stays on the console before the machine reboots. */
const METAL_REBOOT_DELAY_MS = 10_000;
/** Read from argv, not parseArgs: fail() must know it even when parsing the arguments failed. */
const isMetal =
  process.argv.includes("--platform=metal") ||
  process.argv.some((arg, index) => arg === "--platform" && process.argv[index + 1] === "metal");

function fail(error: unknown): void {
  const message = isSteleError(error)
    ? `error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ""}`
    : `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`${message}\n`);
  if (!(isPid1 && isMetal)) process.exit(1);
  process.stderr.write(`machined: rebooting in ${METAL_REBOOT_DELAY_MS / 1000} s\n`);
  setTimeout(() => {
    try {
      reboot("restart");
    } catch (rebootError) {
      process.stderr.write(`machined: cannot reboot: ${String(rebootError)}\n`);
    }
    // PID 1 must not exit: wait here if the kernel refused.
    setInterval(() => {}, 1 << 30);
  }, METAL_REBOOT_DELAY_MS);
}

if (isPid1) {
  // Node's default already prints and exits 1; saying so here keeps PID 1's one rule in sight:
  // never hang or loop on an error, end the node and let the keeper report it.
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
}

main().catch(fail);
