/**
 * stelectl: the command-line client of Stele. Each command group lives in its own file under
 * commands/ and registers itself on the program; this file only wires them and runs.
 */
import { buildProgram } from "./program.ts";
import { runCli } from "./run-cli.ts";

// grpc-js sets the TLS server name to the IP address when dialling an IP (DEP0123). Nodes are usually
// dialled by IP and the server certificate is checked against that IP, so the warning is noise here;
// every other warning is still printed.
process.removeAllListeners("warning");
process.on("warning", (warning: Error & { code?: string }) => {
  if (warning.code !== "DEP0123") process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

process.exitCode = await runCli(buildProgram(), process.argv);
