import type { Command } from "commander";
import { isConfigError } from "../../machinery/config/config-error.ts";
import { type ConfigIssue, formatConfigIssue } from "../../machinery/config/config-issue.ts";
import { loadAndValidateConfig } from "../../machinery/config/load-and-validate-config.ts";
import { SteleError } from "../../machinery/errors.ts";
import { readInputFile } from "../input.ts";

const MODES = ["metal", "container"] as const;
type Mode = (typeof MODES)[number];

/** Registers `stelectl validate`: the schema and semantic rules, with every issue located. */
export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("Validate machine config files: schema, cross-field rules, PEM pairs, version policy")
    .argument("<file...>", "machine config files (controlplane.yaml, worker.yaml …); - for stdin")
    .requiredOption("-m, --mode <mode>", `where the config will run: ${MODES.join(" | ")}`)
    .option("--strict", "treat warnings as errors", false)
    .addHelpText(
      "after",
      `
Rules beyond the schema: metal needs install.disk; control planes need every CA key; workers must
hold no CA private key nor the service-account key; key/certificate pairs must match; subnets must
not overlap; files go under /var; the Kubernetes version must be one this release supports.
Exit status: 0 valid, 1 errors (or warnings with --strict).`,
    )
    .action((files: string[], options: { mode: string; strict: boolean }) => {
      const mode = parseMode(options.mode);
      let failed = false;
      for (const file of files) {
        const text = readInputFile(file, "config file");
        let issues: readonly ConfigIssue[];
        try {
          issues = loadAndValidateConfig(text, { file, mode }).issues;
        } catch (error) {
          if (!isConfigError(error)) throw error;
          issues = error.issues;
        }
        const errors = issues.filter((issue) => issue.severity === "error").length;
        const warnings = issues.length - errors;
        for (const issue of issues) process.stderr.write(`${formatConfigIssue(issue)}\n`);
        if (errors > 0 || (options.strict && warnings > 0)) {
          failed = true;
          process.stderr.write(`${file}: invalid for ${mode} (${errors} error(s), ${warnings} warning(s))\n`);
        } else {
          process.stdout.write(`${file}: valid for ${mode}${warnings ? ` (${warnings} warning(s))` : ""}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}

function parseMode(mode: string): Mode {
  if ((MODES as readonly string[]).includes(mode)) return mode as Mode;
  throw new SteleError(
    "invalid-argument",
    `Unknown --mode: ${JSON.stringify(mode)}`,
    `use --mode metal for machines installed to disk, --mode container for local clusters`,
  );
}
