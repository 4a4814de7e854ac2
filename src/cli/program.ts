import { Command } from "commander";
import { STELE_VERSION } from "../machinery/constants.ts";
import { registerAuditCommand } from "./commands/audit.ts";
import { registerBootstrapCommand } from "./commands/bootstrap.ts";
import { registerClusterCommands } from "./commands/cluster.ts";
import { waitClusterHealthy } from "./commands/cluster-health-wait.ts";
import { registerCompletionCommand } from "./commands/completion.ts";
import { registerConfigCommands } from "./commands/config.ts";
import { registerDashboardCommand } from "./commands/dashboard.ts";
import { registerEtcdCommands } from "./commands/etcd.ts";
import { registerGenCommands } from "./commands/gen.ts";
import { registerHealthCommand } from "./commands/health.ts";
import { registerImageCommands } from "./commands/image.ts";
import { registerMachineConfigCommands } from "./commands/machineconfig.ts";
import { registerApplyConfigCommand } from "./commands/node-apply-config.ts";
import { registerFilesCommands } from "./commands/node-files.ts";
import { registerGetCommand } from "./commands/node-get.ts";
import { registerLogsCommands } from "./commands/node-logs.ts";
import { registerPowerCommands } from "./commands/node-power.ts";
import { registerNodeRunCommand } from "./commands/node-run.ts";
import { registerServicesCommands } from "./commands/node-services.ts";
import { registerStatsCommands } from "./commands/node-stats.ts";
import { registerVersionCommand } from "./commands/node-version.ts";
import { registerSupportCommand } from "./commands/support.ts";
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
    .option("-n, --nodes <list>", "comma-separated nodes to target (default: the context's nodes)")
    .option("-e, --endpoints <list>", "comma-separated apid endpoints to dial (default: the context's)")
    .showHelpAfterError("(add --help for usage)");
  registerGenCommands(program);
  registerValidateCommand(program);
  registerMachineConfigCommands(program);
  registerAuditCommand(program);
  registerNodeRunCommand(program);
  registerConfigCommands(program);
  registerVersionCommand(program);
  registerApplyConfigCommand(program);
  registerGetCommand(program);
  registerServicesCommands(program);
  registerLogsCommands(program);
  registerPowerCommands(program);
  registerBootstrapCommand(program);
  registerEtcdCommands(program);
  registerHealthCommand(program);
  registerFilesCommands(program);
  registerStatsCommands(program);
  registerSupportCommand(program);
  registerDashboardCommand(program);
  registerClusterCommands(program, { waitHealthy: waitClusterHealthy });
  registerImageCommands(program);
  registerCompletionCommand(program);
  return program;
}
