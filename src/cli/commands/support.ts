import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import type { Command } from "commander";
import { SteleError } from "../../machinery/errors.ts";
import { TarWriter } from "../../pkg/archive/tar-writer.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";
import { openNodeSession } from "../client/node-session.ts";
import { collectNodeBundle } from "../support/collect-node-bundle.ts";

/**
 * Registers `stelectl support`: one tar.gz of what a maintainer needs to diagnose the selected
 * nodes (logs, resources, events, processes, memory, version, the redacted machine config), with
 * no secrets in it, so it can be attached to a bug report as it is.
 */
export function registerSupportCommand(program: Command): void {
  program
    .command("support")
    .description("Collect logs, resources and state of the nodes into one archive without secrets")
    .option("-o, --output <file>", "archive to write", "support.tar.gz")
    .option("--force", "replace an existing archive", false)
    .action(async (options: { output: string; force: boolean }, command: Command) => {
      const output = resolve(options.output);
      if (!options.force && existsSync(output)) {
        throw new SteleError(
          "already-exists",
          `Refusing to overwrite: ${output} already exists`,
          "pass --force to replace it, or choose another --output",
        );
      }
      const session = await openNodeSession(command);
      const tar = new TarWriter();
      let results: Awaited<ReturnType<typeof collectNodeBundle>>[];
      try {
        results = await Promise.all(session.targets.map((target) => collectNodeBundle(target, tar)));
      } finally {
        session.close();
      }
      try {
        writeFilesAtomically([{ path: output, content: gzipSync(tar.toBuffer()), mode: 0o600 }]);
      } catch (error) {
        throw new SteleError(
          "io",
          `Cannot write the support bundle: ${output}: ${error instanceof Error ? error.message : String(error)}`,
          "Choose another file with --output, in a directory you can write",
          { cause: error },
        );
      }
      for (const result of results) {
        if (result.failedEntirely) {
          process.stderr.write(
            `error: node ${result.node}: nothing could be collected: ${result.errors[0] ?? "no reason given"}\n` +
              `hint: see ${result.node}/errors.txt in the bundle; check that the node is up and reachable\n`,
          );
          process.exitCode = 1;
        } else if (result.errors.length > 0) {
          process.stderr.write(
            `warning: node ${result.node}: ${result.errors.length} part(s) missing, see ${result.node}/errors.txt\n`,
          );
        }
      }
      process.stdout.write(`Wrote ${output} (${results.length} node(s))\n`);
    });
}
