import { Command } from "commander";
import { STELE_VERSION } from "../machinery/constants.ts";
import { registerAuditCommand } from "./commands/audit.ts";
import { registerConfigCommands } from "./commands/config.ts";
import { registerGenCommands } from "./commands/gen.ts";
import { registerMachineConfigCommands } from "./commands/machineconfig.ts";
import { registerValidateCommand } from "./commands/validate.ts";

/**
 * Builds the stelectl command tree. Every command group registers itself from its own file, in
 * the order `stelectl --help` lists them.
 */
export function buildProgram(): Command {
  const program = new Command("stelectl")
    .description("Control Stele nodes and clusters, and prepare their configuration")
    .version(STELE_VERSION, "--client-version", "print the client version")
    .option("--stelectlconfig <file>", "client config file (default: $STELECONFIG or ~/.stele/config)")
    .option("--context <name>", "client context to use instead of the current one")
    .showHelpAfterError("(add --help for usage)");
  registerGenCommands(program);
  registerValidateCommand(program);
  registerMachineConfigCommands(program);
  registerAuditCommand(program);
  registerConfigCommands(program);
  return program;
}
