/**
 * stelectl: the command-line client of Stele. Each command group lives in its own file under
 * commands/ and registers itself on the program; this file only wires them and runs.
 */
import { buildProgram } from "./program.ts";
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(buildProgram(), process.argv);
