import { stringify } from "yaml";
import type { EventsResponse } from "../../machinery/api/machine/v1alpha1/events.ts";
import type { LogsResponse } from "../../machinery/api/machine/v1alpha1/machine.ts";
import type { ListResponse, Resource } from "../../machinery/api/resource/v1alpha1/resource.ts";
import type { TarWriter } from "../../pkg/archive/tar-writer.ts";
import { callUnary, readStream } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import type { NodeTarget } from "../client/node-session.ts";
import { parseResourceSpec } from "../client/parse-resource-spec.ts";
import { formatResourceDocument, resourceDocument } from "../client/resource-output.ts";
import { redactMachineConfig } from "./redact-machine-config.ts";

/** The type and id of the running machine config (machined's MachineConfigResource). */
const MACHINE_CONFIG = { namespace: "config", type: "MachineConfigs.config.stele.dev", id: "v1alpha1" };

/** machined's own log is not a service of ServiceList, yet is the first thing support asks for. */
const MACHINED_LOG = "machined";

/** Options of collectNodeBundle. */
export interface CollectNodeBundleOptions {
  /** How long the event stream may stay quiet before the past events count as all sent. */
  eventsIdleMs?: number;
}

/** What one node contributed to a bundle. */
export interface NodeBundleResult {
  node: string;
  /** Files added under `<node>/`, errors.txt excluded. */
  files: string[];
  /** One line per part that failed or was left out; written to `<node>/errors.txt` when not empty. */
  errors: string[];
  /** Whether nothing at all could be collected. */
  failedEntirely: boolean;
}

/**
 * Collects one node's part of a support bundle into `tar` under `<node>/`: every service's log
 * (and machined's), every resource type that is not sensitive, past events, processes, memory,
 * version, and the machine config with its secrets redacted when the caller may read it. Each
 * part is collected on its own, so a node that fails part-way still contributes what it could,
 * with `errors.txt` naming what failed; this never throws for a node's failure.
 */
export async function collectNodeBundle(
  target: NodeTarget,
  tar: TarWriter,
  options: CollectNodeBundleOptions = {},
): Promise<NodeBundleResult> {
  const node = target.node;
  const result: NodeBundleResult = { node, files: [], errors: [], failedEntirely: false };
  const add = (path: string, content: string) => {
    tar.addFile(`${safe(node)}/${path}`, content);
    result.files.push(path);
  };
  const attempt = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      result.errors.push(`${what}: ${target.describe(error).message}`);
    }
  };
  const { metadata } = target;

  await attempt("version.yaml", async () => {
    const replies = await callUnary(target.version, "version", { request: {}, metadata });
    add("version.yaml", stringify(replies.map(({ metadata: _, ...reply }) => reply)));
  });

  let services: string[] = [];
  await attempt("service list", async () => {
    const replies = await callUnary(target.machine, "serviceList", { request: {}, metadata });
    services = replies.flatMap((reply) => reply.services.map((service) => service.id));
  });
  for (const id of [MACHINED_LOG, ...services.filter((s) => s !== MACHINED_LOG)]) {
    await attempt(`logs/${id}.log`, async () => {
      const chunks: Uint8Array[] = [];
      await readStream<LogsResponse>(
        target.machine.logs({ namespace: "", id, driver: "LOG_DRIVER_SERVICE", follow: false }, metadata),
        (chunk) => chunks.push(chunk.bytes),
      );
      add(`logs/${safe(id)}.log`, Buffer.concat(chunks).toString("utf8"));
    });
  }

  await attempt("resource definitions", async () => {
    const replies = await callUnary(target.resource, "resourceDefinitions", { request: {}, metadata });
    // Sensitive types (secrets) stay out even for an admin: a bundle travels.
    const definitions = replies.flatMap((reply) => reply.definitions).filter((d) => !d.sensitive);
    for (const definition of definitions) {
      await attempt(`resources/${definition.type}.yaml`, async () => {
        const resources: Resource[] = [];
        await readStream<ListResponse>(
          target.resource.list({ namespace: definition.defaultNamespace, type: definition.type }, metadata),
          (message) => {
            if (message.resource) resources.push(message.resource);
          },
        );
        add(
          `resources/${safe(definition.type)}.yaml`,
          resources.map((r) => formatResourceDocument("yaml", resourceDocument(node, r))).join(""),
        );
      });
    }
  });

  await attempt("events.yaml", async () => {
    add("events.yaml", await pastEvents(target, options.eventsIdleMs ?? 1000));
  });

  await attempt("processes.txt", async () => {
    const replies = await callUnary(target.machine, "processes", { request: {}, metadata });
    const rows = replies.flatMap((reply) =>
      reply.processes.map((p) => [
        String(p.pid),
        String(p.ppid),
        p.state,
        String(p.threads),
        p.cpuTime.toFixed(2),
        String(p.virtualMemory),
        String(p.residentMemory),
        p.args || p.command,
      ]),
    );
    add(
      "processes.txt",
      formatTable([["PID", "PPID", "STATE", "THREADS", "CPU-TIME", "VIRTMEM", "RESMEM", "COMMAND"], ...rows]),
    );
  });

  await attempt("memory.txt", async () => {
    const replies = await callUnary(target.machine, "memory", { request: {}, metadata });
    const info = replies[0]?.meminfo ?? {};
    add("memory.txt", formatTable(Object.entries(info).map(([key, value]) => [key, String(value)])));
  });

  await attempt("machineconfig.yaml", async () => {
    let replies: Awaited<ReturnType<typeof callUnary<typeof target.resource, "get">>>;
    try {
      replies = await callUnary(target.resource, "get", { request: MACHINE_CONFIG, metadata });
    } catch (error) {
      const described = target.describe(error);
      // Only an admin may read the config; anyone else gets a bundle without it, which is no failure.
      if (described.code === "permission-denied") return;
      throw described;
    }
    const resource = replies[0]?.resource;
    const spec = resource ? parseResourceSpec(resource) : undefined;
    const yaml = (spec as { yaml?: unknown } | undefined)?.yaml;
    if (typeof yaml !== "string") throw new Error("the node sent a machine config without its YAML");
    try {
      add("machineconfig.yaml", redactMachineConfig(yaml));
    } catch {
      // The parse error would quote the config, secrets and all: name the failure, not the content.
      result.errors.push(
        "machineconfig.yaml: left out: the config did not parse, so its secrets could not be redacted",
      );
    }
  });

  result.failedEntirely = result.files.length === 0;
  if (result.errors.length > 0) tar.addFile(`${safe(node)}/errors.txt`, `${result.errors.join("\n")}\n`);
  return result;
}

/** The longest the event read may take, for a node so busy its stream is never quiet. */
const EVENTS_MAX_MS = 10_000;

/**
 * Every event the node kept. Events is a stream that never ends by itself: the past events come
 * at once, then the stream waits for new ones, so a quiet spell of `idleMs` ends the read (and
 * EVENTS_MAX_MS in any case).
 */
async function pastEvents(target: NodeTarget, idleMs: number): Promise<string> {
  const events: unknown[] = [];
  const stop = new AbortController();
  let idle = setTimeout(() => stop.abort(), idleMs);
  const cap = setTimeout(() => stop.abort(), Math.max(idleMs, EVENTS_MAX_MS));
  try {
    await readStream<EventsResponse>(
      target.machine.events({ tailEvents: -1, tailId: "", tailSeconds: 0, withActorId: "" }, target.metadata),
      ({ metadata: _, ...event }) => {
        events.push(event);
        clearTimeout(idle);
        idle = setTimeout(() => stop.abort(), idleMs);
      },
      stop.signal,
    );
  } finally {
    clearTimeout(idle);
    clearTimeout(cap);
  }
  return events.map((event) => `---\n${stringify(event)}`).join("");
}

/** A path component from a name a node chose: no separators, nothing tar would refuse. */
function safe(name: string): string {
  const cleaned = name.replace(/[/\\\0]/g, "_");
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : cleaned;
}
