/**
 * machined's entry point: `node src/app/machined/main.ts --state-dir DIR [--var-dir DIR] [--config FILE]
 * [--platform container] [--apid-listen HOST:PORT] [--trustd-listen HOST:PORT]`. Boots the node,
 * serves the machine API on `<DIR>/run/machine.sock`, supervises apid (and trustd on control
 * planes), and on SIGTERM or SIGINT runs the shutdown sequence and exits 0 (so does a Shutdown call).
 *
 * As PID 1 (a sandboxed node, see src/provision/sandbox) it also reaps orphans, and an error nothing
 * caught is logged and ends the process with 1: PID 1 exiting ends the node, and its keeper reports
 * the failure rather than booting a broken node in a loop.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { APID_PORT } from "../../machinery/constants.ts";
import { isSteleError } from "../../machinery/errors.ts";
import { nodeServices } from "./node-services.ts";
import { runMachined } from "./run-machined.ts";
import { OrphanReaper } from "./system/orphan-reaper.ts";

const isPid1 = process.pid === 1;

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
  const platform = values.platform === "metal" ? "metal" : "container";
  if (isPid1) {
    new OrphanReaper({
      onError: (error) => process.stderr.write(`machined: orphan reaper: ${String(error)}\n`),
    }).start();
  }
  const services = nodeServices({
    stateDir,
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
    console: process.stderr,
  });
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    await running.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void exit());
  process.on("SIGINT", () => void exit());
  await running.stopped;
  process.exit(0);
}

function fail(error: unknown): never {
  const message = isSteleError(error)
    ? `error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ""}`
    : `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

if (isPid1) {
  // Node's default already prints and exits 1; saying so here keeps PID 1's one rule in sight:
  // never hang or loop on an error, end the node and let the keeper report it.
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
}

main().catch(fail);
