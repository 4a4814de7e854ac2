import { credentials } from "@grpc/grpc-js";
import { parse } from "yaml";
import type { LogsResponse, ServiceInfo } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceClient, type WatchStatsResponse } from "../../machinery/api/machine/v1alpha1/stats.ts";
import type { ListResponse } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../machinery/errors.ts";
import { callUnary, readStream } from "../client/fan-out.ts";
import type { NodeSession, NodeTarget } from "../client/node-session.ts";
import { apiFingerprintFromLog } from "./api-fingerprint.ts";
import type { DashboardSource, NodeSummary, ServiceRow } from "./dashboard-source.ts";
import { statsSampleOf } from "./stats-sample.ts";

/**
 * The DashboardSource of a real session: every call goes to the node through the session's one
 * connection (a StatsService client shares the channel of the session's clients), and every
 * failure becomes the node's described error, so the screen says what to do about it.
 */
export function grpcDashboardSource(session: NodeSession): DashboardSource {
  const targets = new Map(session.targets.map((target) => [target.node, target]));
  const statsClients = new Map<string, StatsServiceClient>();
  const targetOf = (node: string): NodeTarget => {
    const target = targets.get(node);
    if (target === undefined)
      throw new SteleError(
        "not-found",
        `Unknown node: ${node}`,
        "Name the node with --nodes as the session has it",
      );
    return target;
  };
  const statsOf = (target: NodeTarget): StatsServiceClient => {
    let client = statsClients.get(target.endpoint);
    if (client === undefined) {
      // The channel override makes these credentials unused: the session's channel carries its TLS.
      client = new StatsServiceClient(target.endpoint, credentials.createInsecure(), {
        channelOverride: target.machine.getChannel(),
      });
      statsClients.set(target.endpoint, client);
    }
    return client;
  };
  const described = async <T>(target: NodeTarget, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw target.describe(error);
    }
  };

  return {
    nodes: session.targets.map((target) => target.node),
    summary: async (node) => {
      const target = targetOf(node);
      return described(target, () => readSummary(target, statsOf(target)));
    },
    services: async (node) => {
      const target = targetOf(node);
      return described(target, async () => {
        const replies = await callUnary(target.machine, "serviceList", {
          request: {},
          metadata: target.metadata,
        });
        return replies.flatMap((reply) => reply.services.map(serviceRow));
      });
    },
    watchStats: async (node, options, onSample) => {
      const target = targetOf(node);
      const seconds = Math.floor(options.intervalMs / 1000);
      const interval = { seconds: BigInt(seconds), nanos: (options.intervalMs - seconds * 1000) * 1_000_000 };
      return described(target, () =>
        readStream<WatchStatsResponse>(
          statsOf(target).watchStats({ interval }, target.metadata),
          (response) => onSample(statsSampleOf(response, Date.now())),
          options.signal,
        ),
      );
    },
    followLogs: async (node, options, onLines) => {
      const target = targetOf(node);
      const decoder = new TextDecoder();
      let pending = "";
      return described(target, () =>
        readStream<LogsResponse>(
          target.machine.logs(
            {
              namespace: "",
              id: options.service,
              driver: "LOG_DRIVER_SERVICE",
              follow: true,
              tailLines: options.tail,
            },
            target.metadata,
          ),
          (chunk) => {
            // Chunks cut lines anywhere: keep the partial last line until its end arrives.
            const text = pending + decoder.decode(chunk.bytes, { stream: true });
            const lines = text.split("\n");
            pending = lines.pop() ?? "";
            onLines(lines);
          },
          options.signal,
        ),
      );
    },
  };
}

async function readSummary(target: NodeTarget, stats: StatsServiceClient): Promise<NodeSummary> {
  const metadata = target.metadata;
  const [version, status, hostname, addresses, members, cpu] = await Promise.allSettled([
    callUnary(target.version, "version", { request: {}, metadata }),
    resourceSpec(target, "MachineStatuses.runtime.stele.dev", "machine"),
    resourceSpec(target, "HostnameStatuses.net.stele.dev", "hostname"),
    resourceSpec(target, "NodeAddresses.net.stele.dev", "current"),
    countResources(target, "Members.cluster.stele.dev"),
    callUnary(stats, "cpuStats", { request: {}, metadata }),
  ]);
  // Without the version the node is not answering at all; the other parts may be missing alone.
  if (version.status === "rejected") throw version.reason;
  const reply = version.value[0];
  const spec = (outcome: PromiseSettledResult<Record<string, unknown>>) =>
    outcome.status === "fulfilled" ? outcome.value : {};
  const machine = spec(status);
  const stage = String(machine.stage ?? "");
  const apiFingerprint = stage === "maintenance" ? await readApiFingerprint(target) : undefined;
  return {
    hostname: String(spec(hostname).hostname ?? ""),
    tag: reply?.version?.tag ?? "",
    platform: reply?.platform?.name ?? "",
    stage,
    ready: machine.ready === true,
    unmetConditions: Array.isArray(machine.unmetConditions)
      ? (machine.unmetConditions as { name: string; reason: string }[])
      : [],
    addresses: Array.isArray(spec(addresses).addresses) ? (spec(addresses).addresses as string[]) : [],
    members: members.status === "fulfilled" ? members.value : 0,
    bootTime: cpu.status === "fulfilled" ? cpu.value[0]?.bootTime : undefined,
    ...(apiFingerprint === undefined ? {} : { apiFingerprint }),
  };
}

/** How many of apid's last log lines are searched for its maintenance-mode fingerprint. */
const FINGERPRINT_TAIL_LINES = 100;

/**
 * The maintenance-mode certificate fingerprint from apid's recent log, or undefined when it cannot
 * be read: a remote maintenance-mode session may not read logs, and it pinned the fingerprint
 * already; the console's local reader may.
 */
async function readApiFingerprint(target: NodeTarget): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  try {
    await readStream<LogsResponse>(
      target.machine.logs(
        {
          namespace: "",
          id: "apid",
          driver: "LOG_DRIVER_SERVICE",
          follow: false,
          tailLines: FINGERPRINT_TAIL_LINES,
        },
        target.metadata,
      ),
      (chunk) => chunks.push(chunk.bytes),
    );
  } catch {
    return undefined;
  }
  return apiFingerprintFromLog(Buffer.concat(chunks).toString("utf8").split("\n"));
}

async function resourceSpec(target: NodeTarget, type: string, id: string): Promise<Record<string, unknown>> {
  const replies = await callUnary(target.resource, "get", {
    request: { namespace: "", type, id },
    metadata: target.metadata,
  });
  const yaml = replies[0]?.resource?.spec?.yaml;
  const parsed: unknown = yaml === undefined ? {} : parse(Buffer.from(yaml).toString("utf8"));
  return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

async function countResources(target: NodeTarget, type: string): Promise<number> {
  let count = 0;
  await readStream<ListResponse>(
    target.resource.list({ namespace: "", type }, target.metadata),
    (message) => {
      if (message.resource) count += 1;
    },
  );
  return count;
}

function serviceRow(service: ServiceInfo): ServiceRow {
  return {
    id: service.id,
    state: service.state.replace(/^SERVICE_STATE_/, "").toLowerCase(),
    health: !service.health || service.health.unknown ? "?" : service.health.healthy ? "ok" : "fail",
    message: service.events.at(-1)?.message ?? "",
  };
}
