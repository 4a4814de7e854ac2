/**
 * `sandbox-keeper`: the host side of one node of the `container` platform (see Keeper). Started
 * detached by the provisioner (keeperCommand); SIGTERM or SIGINT stops the node (SIGTERM to its
 * PID 1, SIGKILL after 30 s) and ends the keeper; SIGHUP is ignored (it has no terminal). Exits 0
 * when the node powered off or was stopped, 1 when it failed, 2 on bad arguments.
 */
import { isSteleError } from "../../../machinery/errors.ts";
import { parseKeeperArgs } from "../keeper-options.ts";
import { Keeper } from "./keeper.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

function describe(error: unknown): string {
  return isSteleError(error)
    ? `error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ""}`
    : `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

let keeper: Keeper;
try {
  keeper = new Keeper(parseKeeperArgs(process.argv.slice(2)), { log });
} catch (error) {
  log(describe(error));
  process.exit(2);
}
process.on("SIGTERM", () => keeper.stop());
process.on("SIGINT", () => keeper.stop());
process.on("SIGHUP", () => {});
keeper.run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(describe(error));
    process.exit(1);
  },
);
