import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  ApplyMode,
  FileType,
  type ListResponse,
  type MachineServiceServer,
  type ServiceInfo,
} from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../../machinery/errors.ts";
import type { ApplyMode as StoreApplyMode } from "../config/config-store.ts";
import type { Machined } from "../machined.ts";
import { serverStream, unary } from "./call-handlers.ts";
import { etcdHandlers } from "./etcd-handlers.ts";
import { eventMessage, SERVICE_STATE_MESSAGES } from "./event-message.ts";
import { generateClientConfiguration } from "./generate-client-configuration.ts";
import { streamKernelMessages } from "./kernel-messages.ts";
import { resolveVarPath, toVarPath } from "./node-paths.ts";
import { parseMeminfo, readProcesses } from "./proc-info.ts";
import { unimplemented } from "./to-grpc-status.ts";

const APPLY_MODES: Readonly<Record<ApplyMode, StoreApplyMode | undefined>> = {
  APPLY_MODE_UNSPECIFIED: "auto",
  APPLY_MODE_AUTO: "auto",
  APPLY_MODE_NO_REBOOT: "no-reboot",
  APPLY_MODE_REBOOT: "reboot",
  APPLY_MODE_STAGED: "staged",
  APPLY_MODE_TRY: "try",
  UNRECOGNIZED: undefined,
};

const APPLY_MODE_MESSAGES: Readonly<Record<Exclude<StoreApplyMode, "auto">, ApplyMode>> = {
  "no-reboot": ApplyMode.APPLY_MODE_NO_REBOOT,
  reboot: ApplyMode.APPLY_MODE_REBOOT,
  staged: ApplyMode.APPLY_MODE_STAGED,
  try: ApplyMode.APPLY_MODE_TRY,
};

/** Bytes per message of Logs, Read and Dmesg: well under gRPC's 4 MiB default message cap. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The MachineService handlers over a Machined. Authorisation is apid's: machined trusts its socket
 * (mode 0600, root only). Every reply is tagged with the node's hostname.
 */
export function machineServiceHandlers(
  machined: Machined,
): MachineServiceServer & UntypedServiceImplementation {
  const log = machined.logger;
  const metadata = () => ({ hostname: machined.hostname() });
  const ephemeral = machined.platform.paths.ephemeral;
  const notYet = (method: string) =>
    unary<unknown, never>(log, method, () => {
      throw unimplemented(method);
    });

  return {
    applyConfiguration: unary(log, "ApplyConfiguration", async (request) => {
      const mode = APPLY_MODES[request.mode];
      if (!mode) {
        throw new SteleError(
          "invalid-argument",
          `Unknown apply mode: ${request.mode}`,
          "Use auto, no-reboot, reboot, staged or try",
        );
      }
      const timeout = request.tryTimeout;
      const tryTimeoutMs = timeout
        ? Number(timeout.seconds) * 1000 + Math.round(timeout.nanos / 1e6)
        : undefined;
      const result = await machined.apply(request.data.toString("utf8"), {
        mode,
        dryRun: request.dryRun,
        tryTimeoutMs,
      });
      return {
        messages: [
          {
            metadata: metadata(),
            warnings: [...result.warnings],
            mode: APPLY_MODE_MESSAGES[result.mode],
            modeDetails: result.details,
            diff: result.diff,
          },
        ],
      };
    }),
    reboot: unary(log, "Reboot", () => ({
      messages: [{ metadata: metadata(), actorId: machined.reboot().actorId }],
    })),
    shutdown: unary(log, "Shutdown", () => ({
      messages: [{ metadata: metadata(), actorId: machined.shutdown().actorId }],
    })),
    reset: unary(log, "Reset", async (request) => {
      // Graceful on a control plane: leave etcd first, so the others do not keep waiting for a member
      // that will come back empty (Talos does the same); refused if this member is the only one.
      const isControlPlane = machined.config.current?.parsed.machineConfig.type === "controlplane";
      if (request.graceful && isControlPlane && machined.etcd?.hasData?.()) await machined.etcd.leave();
      const labels = request.systemPartitionsToWipe.map((p) => p.label.toUpperCase());
      const { actorId } = machined.reset({
        wipeState: labels.length === 0 || labels.includes("STATE"),
        wipeEphemeral: labels.length === 0 || labels.includes("EPHEMERAL"),
        // On container a reset always ends in maintenance mode: powering off would only end the process.
        reboot: request.reboot || machined.platform.mode === "container",
      });
      return { messages: [{ metadata: metadata(), actorId }] };
    }),
    serviceList: unary(log, "ServiceList", () => {
      const services: ServiceInfo[] = machined.supervisor
        .list()
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((s) => ({
          id: s.id,
          state: SERVICE_STATE_MESSAGES[s.state],
          events: s.events.map((e) => ({
            state: SERVICE_STATE_MESSAGES[e.state],
            message: e.message,
            timestamp: new Date(e.time),
          })),
          health: {
            unknown: s.healthy === undefined,
            healthy: s.healthy ?? false,
            lastMessage: s.message,
            lastChange: new Date(s.since),
          },
        }));
      return { messages: [{ metadata: metadata(), services }] };
    }),
    serviceStart: unary(log, "ServiceStart", async (request) => {
      await machined.supervisor.start(request.id);
      return { messages: [{ metadata: metadata() }] };
    }),
    serviceStop: unary(log, "ServiceStop", async (request) => {
      await machined.supervisor.stop(request.id);
      return { messages: [{ metadata: metadata() }] };
    }),
    serviceRestart: unary(log, "ServiceRestart", async (request) => {
      await machined.supervisor.restart(request.id);
      return { messages: [{ metadata: metadata() }] };
    }),
    logs: serverStream(log, "Logs", async (request, sink) => {
      if (request.driver !== "LOG_DRIVER_UNSPECIFIED" && request.driver !== "LOG_DRIVER_SERVICE") {
        throw new SteleError(
          "failed-precondition",
          `Log driver not available yet: ${request.driver}`,
          "Ask for a service's log",
        );
      }
      const ring = machined.logs.ring(request.id);
      const tailLines = request.tailLines ?? Number.POSITIVE_INFINITY;
      // What the ring holds goes out in chunks of many lines; a follower then continues from the
      // last seq sent, one message per new line, so lines written meanwhile are neither lost nor
      // sent twice (the ring's seq numbers guarantee it).
      const held = ring.tail(tailLines);
      for (const chunk of chunkLines(held.map((entry) => `${entry.line}\n`))) {
        await sink.send({ metadata: metadata(), bytes: chunk });
      }
      if (!request.follow) return;
      const afterSeq = held.at(-1)?.seq ?? ring.lastSeq;
      for await (const entry of ring.follow({ afterSeq, signal: sink.signal })) {
        await sink.send({ metadata: metadata(), bytes: Buffer.from(`${entry.line}\n`) });
      }
    }),
    dmesg: serverStream(log, "Dmesg", (request, sink) =>
      streamKernelMessages({
        follow: request.follow,
        tail: request.tail,
        signal: sink.signal,
        platformMode: machined.platform.mode,
        onLines: async (text) => {
          for (const chunk of chunkLines([text])) await sink.send({ metadata: metadata(), bytes: chunk });
        },
      }),
    ),
    events: serverStream(log, "Events", async (request, sink) => {
      const stream = machined.events.subscribe({
        signal: sink.signal,
        tailEvents: request.tailEvents,
        tailId: request.tailId,
        tailSeconds: request.tailSeconds,
        actorId: request.withActorId,
      });
      for await (const event of stream) await sink.send(eventMessage(event, machined.hostname()));
    }),
    list: serverStream(log, "List", async (request, sink) => {
      const root = resolveVarPath(request.root || "/var", ephemeral);
      const maxDepth = request.recurse ? request.recursionDepth || Number.POSITIVE_INFINITY : 1;
      const types = new Set(request.types);
      const walk = async (dir: string, depth: number): Promise<void> => {
        let names: string[];
        try {
          names = readdirSync(dir).sort();
        } catch (error) {
          await sink.send(entryError(dir, root, ephemeral, error));
          return;
        }
        for (const name of names) {
          if (sink.signal.aborted) return;
          const path = join(dir, name);
          const entry = describeEntry(path, root, ephemeral);
          if (types.size === 0 || types.has(entry.type)) await sink.send({ ...entry, metadata: metadata() });
          if (entry.type === FileType.FILE_TYPE_DIRECTORY && depth < maxDepth) await walk(path, depth + 1);
        }
      };
      if (!statSync(root).isDirectory()) {
        await sink.send({ ...describeEntry(root, root, ephemeral), metadata: metadata() });
        return;
      }
      await walk(root, 1);
    }),
    read: serverStream(log, "Read", async (request, sink) => {
      const path = resolveVarPath(request.path, ephemeral);
      if (!statSync(path).isFile()) {
        throw new SteleError(
          "invalid-argument",
          `Not a regular file: ${request.path}`,
          "Read files; list directories with List",
        );
      }
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES, signal: sink.signal })) {
        await sink.send({ metadata: metadata(), bytes: chunk as Buffer });
      }
    }),
    processes: unary(log, "Processes", () => ({
      messages: [
        {
          metadata: metadata(),
          processes: readProcesses(machined.platform.mode === "container" ? { rootPid: process.pid } : {}),
        },
      ],
    })),
    memory: unary(log, "Memory", () => ({
      messages: [{ metadata: metadata(), meminfo: parseMeminfo(readFileSync("/proc/meminfo", "utf8")) }],
    })),
    generateClientConfiguration: unary(log, "GenerateClientConfiguration", async (request) => {
      const minted = await generateClientConfiguration(request, { config: machined.config.current });
      // Roles and lifetime only: the reply carries a private key, which never reaches a log.
      log.info(
        { roles: request.roles, crtTtlSeconds: String(request.crtTtl?.seconds ?? "") },
        "Client configuration minted",
      );
      return { messages: [{ metadata: metadata(), ...minted }] };
    }),
    ...etcdHandlers(machined),
    upgrade: notYet("Upgrade"),
  };
}

/** Joins lines into chunks of at most CHUNK_BYTES (a longer single line is its own chunk). */
function* chunkLines(lines: readonly string[]): Generator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for (const line of lines) {
    const bytes = Buffer.from(line);
    if (size > 0 && size + bytes.length > CHUNK_BYTES) {
      yield Buffer.concat(parts);
      parts = [];
      size = 0;
    }
    parts.push(bytes);
    size += bytes.length;
  }
  if (size > 0) yield Buffer.concat(parts);
}

/** One List entry, without following a symlink (its target is only reported). */
function describeEntry(path: string, root: string, ephemeral: string): Omit<ListResponse, "metadata"> {
  const name = toVarPath(path, ephemeral);
  const relativeName = toVarPath(path, root).replace(/^\/var\/?/, "");
  try {
    const stat = lstatSync(path);
    const type = stat.isSymbolicLink()
      ? FileType.FILE_TYPE_SYMLINK
      : stat.isDirectory()
        ? FileType.FILE_TYPE_DIRECTORY
        : FileType.FILE_TYPE_REGULAR;
    return {
      name,
      relativeName,
      size: BigInt(stat.size),
      mode: stat.mode,
      modified: stat.mtime,
      type,
      link: stat.isSymbolicLink() ? readlinkSync(path) : "",
      uid: stat.uid,
      gid: stat.gid,
      error: "",
    };
  } catch (error) {
    return { ...blankEntry(name, relativeName), error: (error as Error).message };
  }
}

function entryError(dir: string, root: string, ephemeral: string, error: unknown): ListResponse {
  const name = toVarPath(dir, ephemeral);
  const relativeName = toVarPath(dir, root).replace(/^\/var\/?/, "");
  return { ...blankEntry(name, relativeName), error: (error as Error).message };
}

function blankEntry(name: string, relativeName: string): Omit<ListResponse, "metadata"> {
  return {
    name,
    relativeName,
    size: 0n,
    mode: 0,
    modified: undefined,
    type: FileType.FILE_TYPE_UNSPECIFIED,
    link: "",
    uid: 0,
    gid: 0,
    error: "",
  };
}
