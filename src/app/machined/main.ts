/**
 * machined's entry point: `node src/app/machined/main.ts --state-dir DIR [--config FILE]
 * [--platform container] [--apid-listen HOST:PORT] [--trustd-listen HOST:PORT]`. Boots the node,
 * serves the machine API on `<DIR>/run/machine.sock`, supervises apid (and trustd on control
 * planes), and on SIGTERM or SIGINT runs the shutdown sequence and exits 0 (so does a Shutdown call).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { APID_PORT } from "../../machinery/constants.ts";
import { isSteleError } from "../../machinery/errors.ts";
import { nodeServices } from "./node-services.ts";
import { runMachined } from "./run-machined.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "state-dir": { type: "string" },
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

main().catch((error: unknown) => {
  const message = isSteleError(error)
    ? `error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ""}`
    : String(error);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
