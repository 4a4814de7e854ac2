import type { Command } from "commander";
import {
  AUDIT_EXIT_CODES,
  AUDIT_RULES,
  type AuditPolicy,
  auditConfigs,
  exitCodeFor,
  formatFindings,
} from "../../machinery/audit/index.ts";
import { parseConfig } from "../../machinery/config/parse-config.ts";
import { SteleError } from "../../machinery/errors.ts";
import { readInputFile } from "../input.ts";

/** Registers `stelectl audit`: the seed's hardening rules and the CIS flags, checked by program. */
export function registerAuditCommand(program: Command): void {
  program
    .command("audit")
    .description(
      "Check machine configs against the hardening rules (debug, algorithms, CA reuse, CIS flags …)",
    )
    .argument(
      "<file...>",
      "machine config files; audit a cluster's files together to catch cross-file problems",
    )
    .option("-o, --output <format>", "text or json", "text")
    .option(
      "--require-company-ca",
      "policy: the OS CA must come from a company CA or extra roots be trusted",
      false,
    )
    .option("--max-ca-days <days>", "policy: longest CA validity", "3650")
    .option("--max-leaf-days <days>", "policy: longest leaf certificate validity", "398")
    .addHelpText(
      "after",
      `
Rules:
${AUDIT_RULES.map((rule) => `  ${rule.severity.padEnd(9)}${rule.id}`).join("\n")}

Exit status: ${AUDIT_EXIT_CODES.info} clean or info only, ${AUDIT_EXIT_CODES.medium} low/medium, ${AUDIT_EXIT_CODES.high} high, ${AUDIT_EXIT_CODES.critical} critical.`,
    )
    .action(
      (
        files: string[],
        options: { output: string; requireCompanyCa: boolean; maxCaDays: string; maxLeafDays: string },
      ) => {
        if (options.output !== "text" && options.output !== "json") {
          throw new SteleError(
            "invalid-argument",
            `Unknown output format: ${JSON.stringify(options.output)}`,
            "use -o text or -o json",
          );
        }
        const policy: AuditPolicy = {
          requireCompanyCA: options.requireCompanyCa,
          maxCertificateTtlDays: {
            ca: days(options.maxCaDays, "--max-ca-days"),
            leaf: days(options.maxLeafDays, "--max-leaf-days"),
          },
        };
        const parsed = files.map((file) => parseConfig(readInputFile(file, "config file"), { file }));
        const findings = auditConfigs(parsed, { policy });
        process.stdout.write(formatFindings(findings, options.output));
        process.exitCode = exitCodeFor(findings);
      },
    );
}

function days(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new SteleError(
      "invalid-argument",
      `${flag} must be a positive whole number of days: got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
