import type { Command } from "commander";
import { parseDuration } from "../../machinery/duration.ts";
import { SteleError } from "../../machinery/errors.ts";
import { openNodeSession } from "../client/node-session.ts";

// The range WatchStats accepts.
const MIN_INTERVAL_MS = 250;
const MAX_INTERVAL_MS = 60_000;

type DashboardModule = typeof import("../dashboard/run-dashboard.ts");

/** Registers `stelectl dashboard`: a live terminal view of the nodes' state, stats, services and logs. */
export function registerDashboardCommand(program: Command): void {
  program
    .command("dashboard")
    .description("Watch the nodes live: summary, CPU/memory/network/disk, services and their logs")
    .option("--interval <duration>", "time between two stats samples, 250ms to 1m", "1s")
    .option(
      "--local-socket <path>",
      "on the node itself: read through machined's local read-only socket (the console dashboard)",
    )
    .action(async (options: { interval: string; localSocket?: string }, command: Command) => {
      const intervalMs = parseInterval(options.interval);
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new SteleError(
          "failed-precondition",
          "The dashboard needs a terminal: standard input or output is not one",
          "Run it in an interactive terminal; scripts can use `stelectl services`, `stelectl memory` or `stelectl logs`",
        );
      }
      const { runDashboard, localNodeSession } = await loadDashboard();
      const session =
        options.localSocket === undefined
          ? await openNodeSession(command)
          : localNodeSession(options.localSocket);
      try {
        await runDashboard(session, { intervalMs });
      } finally {
        session.close();
      }
    });
}

/**
 * Loads the dashboard's UI (ink and react) only when it is asked for: esbuild's code splitting puts
 * it in chunks of its own, which the image ships (a metal node's console runs the dashboard) and
 * which no daemon ever loads.
 */
async function loadDashboard(): Promise<DashboardModule> {
  // ink renders only its last frame when it believes it runs in CI (it reads CI and
  // CONTINUOUS_INTEGRATION once, at import). The dashboard runs only on a terminal, checked above,
  // so a terminal it has: an operator on a CI runner's shell must still see it live.
  for (const key of ["CI", "CONTINUOUS_INTEGRATION"]) delete process.env[key];
  try {
    return await import("../dashboard/run-dashboard.ts");
  } catch (error) {
    throw new SteleError(
      "failed-precondition",
      `Cannot load the dashboard: ${(error as Error).message}`,
      "Check that the bundle's chunks (dist/chunks) sit beside stele.mjs, or run stelectl from the source tree",
      { cause: error },
    );
  }
}

function parseInterval(text: string): number {
  const ms = parseDuration(text, { label: "--interval" });
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new SteleError(
      "invalid-argument",
      `Invalid --interval: expected 250ms to 1m, got ${JSON.stringify(text)}`,
      "Pass a duration such as 500ms, 1s or 5s",
    );
  }
  return ms;
}
