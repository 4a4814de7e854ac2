import type { Command } from "commander";
import { parseConfig } from "../../machinery/config/parse-config.ts";
import { parsePatch } from "../../machinery/config/patch/parse-patch.ts";
import { patchConfig } from "../../machinery/config/patch-config.ts";
import { serializeConfig } from "../../machinery/config/serialize-config.ts";
import { SteleError } from "../../machinery/errors.ts";
import { collect, readInputFile, readPatchArgument } from "../input.ts";
import { SECRET_FILE_MODE, writeOutputFiles } from "../output-files.ts";

/** Registers `stelectl machineconfig …`: offline operations on machine config files. */
export function registerMachineConfigCommands(program: Command): void {
  const machineconfig = program
    .command("machineconfig")
    .alias("mc")
    .description("Work with machine config files offline");

  machineconfig
    .command("patch")
    .description("Apply strategic merge or RFC 6902 JSON patches to a machine config")
    .argument("<file>", "machine config file; - for stdin")
    .requiredOption(
      "-p, --patch <patch>",
      "@file or inline YAML/JSON; repeatable, applied in order",
      collect,
      [],
    )
    .option("-o, --output <file>", "write the result here (mode 0600) instead of stdout")
    .option("--force", "replace an existing --output file", false)
    .addHelpText(
      "after",
      `
Patch forms:
  strategic merge   YAML documents with apiVersion/kind (/name) merge into that document, or are
                    added when absent; a bare mapping patches the MachineConfig; \`$patch: delete\`
                    removes a key, a list element (by its key) or a whole document.
  JSON patch        a list of RFC 6902 operations, applied to the MachineConfig, or to another
                    document named by an extra \`document: Kind[/name]\` member on the operation.
Lists: network.interfaces merge by name, routes by network, files by path, logging.destinations by
endpoint, inlineManifests/keys/extensions by name; certSANs and extraKernelArgs are sets; every
other list is replaced. So applying a patch twice gives the same result as applying it once.
The result is validated before it is written; on any error nothing is written.`,
    )
    .action((file: string, options: { patch: string[]; output?: string; force: boolean }) => {
      if (options.patch.length === 0) {
        throw new SteleError("invalid-argument", "No patch given", "pass --patch @file.yaml (repeatable)");
      }
      const patches = options.patch.map((argument) => {
        const { text, source } = readPatchArgument(argument, "--patch");
        return parsePatch(text, { source });
      });
      const config = parseConfig(readInputFile(file, "config file"), { file });
      const output = serializeConfig(patchConfig(config, patches).documents);
      if (options.output === undefined) {
        process.stdout.write(output);
      } else {
        writeOutputFiles([{ path: options.output, content: output, mode: SECRET_FILE_MODE }], {
          force: options.force,
        });
        process.stderr.write(`wrote ${options.output}\n`);
      }
    });
}
