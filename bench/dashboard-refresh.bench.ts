/**
 * What a live dashboard costs the node (issue #6): the CPU time of machined and every process under it
 * (apid, trustd…), in ms of CPU per second of wall time, over a fixed window.
 *
 * - Floor: the same node idle, no client connected.
 * - Value: the node while real dashboards watch it, each one what `stelectl dashboard` runs: its own
 *   session opened from a client config (its own mTLS connection, as one stelectl process has), the
 *   `grpcDashboardSource` of that session, and the `DashboardData` layer at the command's default
 *   interval (1 s stats stream, service list every 2 s, summary every 10 s), following the log of the
 *   service the Services screen selects first (as pressing Enter there does), with a subscriber that
 *   reads the view after every update, as the screens do. Once with 1 dashboard, once with 4.
 *
 * The node runs from the bundle, as the image ships it and as node-api runs it. Floor and value
 * alternate in rounds (ABBA), so drift lands on both. Each window checks afterwards that every dashboard
 * really received its data, so a dashboard that failed never passes for a cheap one.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import { type NodeSession, openNodeSession } from "../src/cli/client/node-session.ts";
import { writeClientConfig } from "../src/cli/client-config-file.ts";
import { DashboardData } from "../src/cli/dashboard/dashboard-data.ts";
import { grpcDashboardSource } from "../src/cli/dashboard/grpc-dashboard-source.ts";
import { SteleError } from "../src/machinery/errors.ts";
import { eventually, killLeftovers, type LocalNode } from "../test/e2e/local-node.ts";
import { bootBenchControlPlane, randomLoopbackAddress } from "./bench-control-plane.ts";
import { alternateRounds, type BenchContext, type Benchmark, type BenchResult } from "./harness.ts";

/** Rounds of floor and value, alternating which goes first. Even, so that each goes first as often. */
const ROUNDS = 2;
/** The measured window: long enough for the 10 s summary poll to fall in it at least once. */
const WINDOW_MS = 15_000;
/** After dashboards connect and before the window: the first summary, service list and log tail. */
const CONNECT_SETTLE_MS = 3000;
/** After dashboards close and before an idle window: streams end, connections close. */
const CLOSE_SETTLE_MS = 2000;
/** After boot and before anything is measured: controllers settle, trustd and apid finish starting. */
const BOOT_SETTLE_MS = 5000;
/** `stelectl dashboard`'s default `--interval` (1s). */
const INTERVAL_MS = 1000;
const DASHBOARD_COUNTS = [1, 4] as const;

/** One connected dashboard: its data layer, the session under it, and what it received. */
interface Dashboard {
  data: DashboardData;
  session: NodeSession;
  node: string;
  updates: number;
}

const benchmark: Benchmark = {
  name: "dashboard-refresh",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const dir = mkdtempSync(join(tmpdir(), "stele-bench-dashboard-"));
    const address = randomLoopbackAddress();
    const open: Dashboard[] = [];
    let node: LocalNode | undefined;
    const closeAll = () => {
      for (const dashboard of open.splice(0)) {
        dashboard.data.close();
        dashboard.session.close();
      }
    };
    try {
      ctx.log(`dashboard-refresh: booting a control plane on ${address} (state in ${dir})`);
      const booted = await bootBenchControlPlane({
        dir,
        address,
        log: (line) => ctx.log(`dashboard-refresh: ${line}`),
        // Known to the cleanup as soon as it runs, even if waiting for it fails.
        onNode: (started) => {
          node = started;
        },
      });
      node = booted.node;
      const { secrets, admin } = booted;
      // The dashboards open their sessions as stelectl does, from a client config file.
      const clientConfig = join(dir, "stelectlconfig");
      writeClientConfig(clientConfig, {
        context: "bench",
        contexts: {
          bench: {
            endpoints: [address],
            nodes: [],
            ca: secrets.certs.os.crt,
            crt: admin.crt,
            key: admin.key,
          },
        },
      });
      const machinedPid = node.process.pid;
      if (machinedPid === undefined) {
        throw new SteleError(
          "unavailable",
          "Node did not start: machined has no pid",
          "run the end-to-end tests (test/e2e/node-api.test.ts) to see why",
        );
      }
      // The node answers a whole dashboard before anything is measured.
      const probe = await connect(clientConfig);
      try {
        await eventually(
          async () => (await probe.source.services(probe.node, ctx.signal)).length || undefined,
        );
      } finally {
        probe.session.close();
      }
      await sleep(BOOT_SETTLE_MS);
      const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      const window = () => cpuPerSecond(machinedPid, { ticksPerSecond, ctx });

      const idleRound = async () => {
        const cpu = await window();
        ctx.log(`dashboard-refresh: idle ${cpu.toFixed(2)} ms/s`);
        return cpu;
      };
      const watchedRound = (count: number) => async () => {
        for (let i = 0; i < count; i++) open.push(await startDashboard(clientConfig));
        await sleep(CONNECT_SETTLE_MS);
        for (const dashboard of open) dashboard.updates = 0;
        const cpu = await window();
        try {
          for (const dashboard of open) checkReceived(dashboard);
        } finally {
          closeAll();
        }
        await sleep(CLOSE_SETTLE_MS);
        ctx.log(`dashboard-refresh: ${count} dashboard(s) ${cpu.toFixed(2)} ms/s`);
        return cpu;
      };

      const results: BenchResult[] = [];
      for (const count of DASHBOARD_COUNTS) {
        ctx.log(`dashboard-refresh: ${count} dashboard(s) against idle, ${ROUNDS}×${WINDOW_MS} ms each`);
        const rounds = await alternateRounds(idleRound, watchedRound(count), {
          rounds: ROUNDS,
          signal: ctx.signal,
          name: "dashboard-refresh",
        });
        results.push({
          figure: `CPU per second, ${count} dashboard${count === 1 ? "" : "s"}`,
          unit: "ms/s",
          value: mean(rounds.values),
          floor: mean(rounds.floors),
        });
      }
      return results;
    } finally {
      closeAll();
      await node?.stop();
      killLeftovers(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;

/** A session as `stelectl dashboard` opens it (`--stelectlconfig <file>`), and its dashboard source. */
async function connect(clientConfig: string) {
  const command = new Command().option("--stelectlconfig <file>");
  command.parse(["--stelectlconfig", clientConfig], { from: "user" });
  const session = await openNodeSession(command);
  const source = grpcDashboardSource(session);
  const node = source.nodes[0];
  if (node === undefined) {
    session.close();
    throw new SteleError("internal", "Benchmark session is wrong: it names no node");
  }
  return { session, source, node };
}

/**
 * Starts one dashboard's data layer at the default interval, consuming every update as the screens do
 * (reading the view), and, once the service list is in, follows the log of its first row.
 */
async function startDashboard(clientConfig: string): Promise<Dashboard> {
  const { session, source, node } = await connect(clientConfig);
  const data = new DashboardData(source, { intervalMs: INTERVAL_MS });
  const dashboard: Dashboard = { data, session, node, updates: 0 };
  let following = false;
  data.subscribe(() => {
    const view = data.view(node);
    dashboard.updates++;
    const first = view.services?.[0];
    if (!following && first !== undefined) {
      following = true;
      data.followLogs(node, first.id);
    }
  });
  data.start();
  return dashboard;
}

/** Fails when a dashboard did not get what it shows: errors, or too few stats points or updates. */
function checkReceived(dashboard: Dashboard): void {
  const view = dashboard.data.view(dashboard.node);
  const errors = [view.summaryError, view.statsError, view.servicesError, view.logError].filter(
    (error) => error !== undefined,
  );
  // One sample a second: most of the window's seconds must have become points.
  const minimum = Math.floor((WINDOW_MS / INTERVAL_MS) * 0.8);
  if (
    errors.length > 0 ||
    view.summary === undefined ||
    view.services === undefined ||
    view.logService === undefined ||
    view.points.length < minimum ||
    dashboard.updates < minimum
  ) {
    throw new SteleError(
      "unavailable",
      `Dashboard did not get its data: ${JSON.stringify({
        errors,
        summary: view.summary !== undefined,
        services: view.services?.length,
        logService: view.logService,
        points: view.points.length,
        updates: dashboard.updates,
      })}`,
      "run `stelectl dashboard` against a node to see which screen fails",
    );
  }
}

/**
 * The CPU time (user + system) that machined and every process under it spent over one window, in ms per
 * second of wall time. A process started during the window counts whole; one that ended during it is lost
 * (an idle or watched node starts none: its daemons live as long as it does).
 */
async function cpuPerSecond(
  rootPid: number,
  options: { ticksPerSecond: number; ctx: BenchContext },
): Promise<number> {
  const before = treeTicks(rootPid);
  const start = process.hrtime.bigint();
  await sleep(WINDOW_MS, undefined, { signal: options.ctx.signal }).catch(() => {
    throw new SteleError("unavailable", "Benchmark interrupted: dashboard-refresh");
  });
  const after = treeTicks(rootPid);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  let ticks = 0;
  for (const [pid, total] of after) ticks += total - (before.get(pid) ?? 0);
  return (ticks * 1000) / options.ticksPerSecond / (elapsedMs / 1000);
}

/** utime + stime, in clock ticks, of `rootPid` and each of its descendants, by pid. */
function treeTicks(rootPid: number): Map<number, number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // The command name is in parentheses and may hold spaces: fields are counted after its closing one.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // After the name: state, ppid (field 4 of stat(5)), … utime (14), stime (15).
    stats.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  if (!stats.has(rootPid)) {
    throw new SteleError(
      "not-found",
      `Daemon not running: machined (pid ${rootPid}) is gone`,
      "run the end-to-end tests (test/e2e/node-api.test.ts) to see why the node stopped",
    );
  }
  const tree = new Map<number, number>();
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    tree.set(pid, stats.get(pid)!.ticks);
    for (const [child, stat] of stats) if (stat.ppid === pid) queue.push(child);
  }
  return tree;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
