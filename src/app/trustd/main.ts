/**
 * trustd's entry point on a control plane: `trustd --config <machine config> [--listen host:port]`.
 * Reads the OS CA and the join token from the config, issues its own certificate, serves until
 * SIGTERM or SIGINT, and logs JSON lines to stderr for the supervisor to collect.
 */
import { readFile } from "node:fs/promises";
import { hostname, networkInterfaces } from "node:os";
import { Command } from "commander";
import { parseConfig } from "../../machinery/config/index.ts";
import { TRUSTD_PORT } from "../../machinery/constants.ts";
import { isSteleError } from "../../machinery/errors.ts";
import { jsonLogger } from "./json-logger.ts";
import { trustdInputsFromConfig } from "./trustd-inputs.ts";
import { startTrustd } from "./trustd-server.ts";

const program = new Command("trustd")
  .description("Issue apid server certificates to workers that present the join token")
  .requiredOption("--config <file>", "the control plane's machine config")
  .option("--listen <host:port>", "address to listen on", `0.0.0.0:${TRUSTD_PORT}`)
  .parse(process.argv);
const options = program.opts<{ config: string; listen: string }>();
const logger = jsonLogger((line) => process.stderr.write(line));

try {
  const { machineConfig } = parseConfig(await readFile(options.config, "utf8"), { file: options.config });
  const inputs = await trustdInputsFromConfig(machineConfig, {
    addresses: nodeAddresses(),
    fallbackHostname: hostname(),
  });
  const trustd = await startTrustd({ ...inputs, listen: options.listen, logger });
  const stop = (signal: string) => {
    logger.info({ signal }, "trustd stopping");
    void trustd.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (isSteleError(error) && error.hint) process.stderr.write(`hint: ${error.hint}\n`);
  process.exitCode = 1;
}

/** The node's global and private addresses; link-local ones need a zone, which a SAN cannot carry. */
function nodeAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === "IPv6" && /^fe80:/i.test(a.address)))
    .map((a) => a.address);
}
