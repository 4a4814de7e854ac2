import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { APID_PORT } from "../../machinery/constants.ts";
import { SteleError } from "../../machinery/errors.ts";

const MACHINED_MAIN = join(import.meta.dirname, "..", "..", "app", "machined", "main.ts");
const BUNDLE = join(import.meta.dirname, "..", "..", "..", "dist", "stele.mjs");

/**
 * Registers `stelectl node run`: one node of the `container` platform as plain processes in the
 * foreground (machined, which supervises apid and trustd), for development and tests. Interrupting
 * it runs the node's shutdown sequence.
 */
export function registerNodeRunCommand(program: Command): void {
  const node = program
    .command("node")
    .description("Run a node locally (container platform, for development and tests)");
  node
    .command("run")
    .description(
      "Run one node in the foreground until interrupted; without --config it starts in maintenance mode",
    )
    .requiredOption(
      "--state-dir <dir>",
      "directory standing in for the node's STATE, EPHEMERAL (/var) and sockets",
    )
    .option("--config <file>", "machine config to install into STATE before booting")
    .option("--listen <host:port>", "where apid listens", `0.0.0.0:${APID_PORT}`)
    .option(
      "--trustd-listen <host:port>",
      "where trustd listens on a control plane (default: apid's host, port 50001)",
    )
    .option(
      "--bundle",
      "run the bundled userland (dist/stele.mjs, `npm run build`), as the image does",
      false,
    )
    .action(
      async (options: {
        stateDir: string;
        config?: string;
        listen: string;
        trustdListen?: string;
        bundle: boolean;
      }) => {
        if (options.config !== undefined && !existsSync(options.config)) {
          throw new SteleError(
            "invalid-argument",
            `Cannot read --config ${JSON.stringify(options.config)}: no such file`,
          );
        }
        if (options.bundle && !existsSync(BUNDLE)) {
          throw new SteleError(
            "failed-precondition",
            `No bundle at ${BUNDLE}`,
            "build it with `npm run build`",
          );
        }
        const args = [
          ...(options.bundle ? [BUNDLE, "machined"] : [MACHINED_MAIN]),
          "--state-dir",
          resolve(options.stateDir),
          "--apid-listen",
          options.listen,
          ...(options.config ? ["--config", resolve(options.config)] : []),
          ...(options.trustdListen ? ["--trustd-listen", options.trustdListen] : []),
        ];
        const child = spawn(process.execPath, args, { stdio: "inherit" });
        // The terminal sends Ctrl-C to the whole process group; machined handles it. A SIGTERM sent
        // to stelectl alone is passed on, so the node always shuts down through its own sequence.
        const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
        process.on("SIGTERM", forward("SIGTERM"));
        process.on("SIGINT", () => {});
        const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
        process.exitCode = code ?? (signal ? 128 : 1);
      },
    );
}
