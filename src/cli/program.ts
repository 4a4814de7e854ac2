import { Command } from "commander";
import { STELE_VERSION } from "../machinery/constants.ts";

/**
 * Builds the stelectl command tree. Every command group registers itself here, in the order
 * `stelectl --help` lists them.
 */
export function buildProgram(): Command {
  const program = new Command("stelectl")
    .description("Control Stele nodes and clusters, and prepare their configuration")
    .version(STELE_VERSION, "--client-version", "print the client version")
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ sortSubcommands: false });
  return program;
}
