/**
 * Test support for apid's forwarding: a real grpc-js server on a unix socket that stands in for
 * machined, with canned handlers on the generated services and a record of what reached it. Tests
 * use it so that every forwarded call crosses a real socket, a real HTTP/2 stream and real protobuf.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type Deadline,
  type Metadata,
  Metadata as MetadataClass,
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { type EtcdRecoverRequest, EtcdRecoverResponse } from "../../machinery/api/machine/v1alpha1/etcd.ts";
import {
  ApplyConfigurationResponse,
  type LogsRequest,
  LogsResponse,
  MachineServiceService,
  RebootResponse,
} from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionResponse, VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import {
  type GetRequest,
  GetResponse,
  ResourceDefinitionsResponse,
  ResourceServiceService,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { CALLER_ROLES_METADATA_KEY } from "./routing-metadata.ts";

/** A call that reached the stand-in. */
export interface StandInCall {
  /** The method's full path. */
  method: string;
  /** `x-stele-roles` as apid sent it. */
  roles: string | undefined;
  metadata: Metadata;
  /** The deadline the call arrived with; Infinity when it had none. */
  deadline: Deadline;
}

/** A running stand-in; `close` in the test's `after`. */
export interface StandInMachined {
  socket: string;
  calls: StandInCall[];
  /** Resolves when a client's cancel of an Events stream reached the stand-in. */
  eventsCancelled: Promise<void>;
  /** Resolves when an Events stream has sent its first message (so a test can cancel mid-stream). */
  eventsStarted: Promise<void>;
  /** How many DMESG_CHUNK_BYTES chunks Dmesg has handed to grpc-js so far (it honours backpressure). */
  dmesgSent(): number;
  /** Every EtcdRecover upload that reached the stand-in, its chunks joined. */
  uploads: Buffer[];
  close(): Promise<void>;
}

/** The hint the failing method sends in its trailers. */
export const STAND_IN_HINT = "Start the service first: stelectl service etcd start";
/** An EtcdRecover upload of exactly these bytes is refused FAILED_PRECONDITION with STAND_IN_HINT. */
export const REFUSED_UPLOAD = "refuse this snapshot";
/** How many chunks Logs sends. */
export const LOG_CHUNKS = 1_000;
/** Dmesg sends DMESG_CHUNKS chunks of DMESG_CHUNK_BYTES each: 64 MiB, more than any buffer on the way. */
export const DMESG_CHUNKS = 256;
export const DMESG_CHUNK_BYTES = 256 * 1024;
/** The sensitive resource type the stand-in defines, and one of its aliases. */
export const SENSITIVE_TYPE = "MachineConfigs.config.stele.dev";
export const SENSITIVE_ALIAS = "machineconfig";
/** A resource type anyone with os:reader may read. */
export const PLAIN_TYPE = "Hostnames.net.stele.dev";

/**
 * Starts the stand-in on `socket`. It answers Version (its `hostname` in the reply), Reboot,
 * ApplyConfiguration, Logs (LOG_CHUNKS chunks "line N\n"), Events (a stream that never ends),
 * ServiceList (always FAILED_PRECONDITION with STAND_IN_HINT in `x-stele-hint`), EtcdRecover (keeps
 * the upload; refuses REFUSED_UPLOAD with STAND_IN_HINT), and
 * ResourceService ResourceDefinitions and Get.
 */
export async function startStandInMachined(socket: string, hostname: string): Promise<StandInMachined> {
  await mkdir(dirname(socket), { recursive: true });
  const calls: StandInCall[] = [];
  const record = (method: string, call: { metadata: Metadata; getDeadline(): Deadline }): void => {
    const roles = call.metadata.get(CALLER_ROLES_METADATA_KEY)[0];
    calls.push({
      method,
      roles: roles === undefined ? undefined : String(roles),
      metadata: call.metadata,
      deadline: call.getDeadline(),
    });
  };
  let cancelled: () => void = () => {};
  let started: () => void = () => {};
  const eventsCancelled = new Promise<void>((resolve) => {
    cancelled = resolve;
  });
  const eventsStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const meta = { hostname };
  let dmesgSent = 0;
  const uploads: Buffer[] = [];
  const server = new Server();
  server.addService(VersionServiceService, {
    version(call: ServerUnaryCall<unknown, VersionResponse>, callback: sendUnaryData<VersionResponse>) {
      record(VersionServiceService.version.path, call);
      callback(
        null,
        VersionResponse.fromPartial({ messages: [{ metadata: meta, version: { tag: "v0.1.0" } }] }),
      );
    },
  });
  server.addService(MachineServiceService, {
    reboot(call: ServerUnaryCall<unknown, RebootResponse>, callback: sendUnaryData<RebootResponse>) {
      record(MachineServiceService.reboot.path, call);
      callback(null, RebootResponse.fromPartial({ messages: [{ metadata: meta, actorId: "reboot-1" }] }));
    },
    applyConfiguration(
      call: ServerUnaryCall<unknown, ApplyConfigurationResponse>,
      callback: sendUnaryData<ApplyConfigurationResponse>,
    ) {
      record(MachineServiceService.applyConfiguration.path, call);
      callback(null, ApplyConfigurationResponse.fromPartial({ messages: [{ metadata: meta }] }));
    },
    async etcdRecover(
      call: ServerReadableStream<EtcdRecoverRequest, EtcdRecoverResponse>,
      callback: sendUnaryData<EtcdRecoverResponse>,
    ) {
      record(MachineServiceService.etcdRecover.path, call);
      const parts: Buffer[] = [];
      for await (const request of call as AsyncIterable<EtcdRecoverRequest>) parts.push(request.bytes);
      const upload = Buffer.concat(parts);
      uploads.push(upload);
      if (upload.toString() === REFUSED_UPLOAD) {
        const trailers = new MetadataClass();
        trailers.set("x-stele-hint", STAND_IN_HINT);
        callback({
          code: status.FAILED_PRECONDITION,
          details: "Not a control-plane node",
          metadata: trailers,
        });
        return;
      }
      callback(null, EtcdRecoverResponse.fromPartial({ messages: [{ metadata: meta }] }));
    },
    serviceList(call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) {
      record(MachineServiceService.serviceList.path, call);
      const trailers = new MetadataClass();
      trailers.set("x-stele-hint", STAND_IN_HINT);
      callback({
        code: status.FAILED_PRECONDITION,
        details: "Service etcd is not running",
        metadata: trailers,
      });
    },
    async logs(call: ServerWritableStream<LogsRequest, LogsResponse>) {
      record(MachineServiceService.logs.path, call);
      for (let i = 0; i < LOG_CHUNKS; i++) {
        const more = call.write(
          LogsResponse.fromPartial({ metadata: meta, bytes: Buffer.from(`line ${i}\n`) }),
        );
        if (!more) await new Promise((resolve) => call.once("drain", resolve));
      }
      call.end();
    },
    async dmesg(call: ServerWritableStream<unknown, LogsResponse>) {
      record(MachineServiceService.dmesg.path, call);
      const chunk = Buffer.alloc(DMESG_CHUNK_BYTES, 0x61);
      for (let i = 0; i < DMESG_CHUNKS && !call.cancelled; i++) {
        const more = call.write(LogsResponse.fromPartial({ metadata: meta, bytes: chunk }));
        dmesgSent++;
        if (!more) await new Promise((resolve) => call.once("drain", resolve));
      }
      call.end();
    },
    events(call: ServerWritableStream<unknown, unknown>) {
      record(MachineServiceService.events.path, call);
      call.on("cancelled", () => cancelled());
      const timer = setInterval(() => {
        call.write({ metadata: meta });
        started();
      }, 10);
      call.on("cancelled", () => clearInterval(timer));
      call.on("close", () => clearInterval(timer));
    },
  });
  server.addService(ResourceServiceService, {
    resourceDefinitions(
      call: ServerUnaryCall<unknown, ResourceDefinitionsResponse>,
      callback: sendUnaryData<ResourceDefinitionsResponse>,
    ) {
      record(ResourceServiceService.resourceDefinitions.path, call);
      callback(
        null,
        ResourceDefinitionsResponse.fromPartial({
          messages: [
            {
              metadata: meta,
              definitions: [
                { type: PLAIN_TYPE, aliases: ["hostname"], sensitive: false },
                { type: SENSITIVE_TYPE, aliases: [SENSITIVE_ALIAS, "mc"], sensitive: true },
              ],
            },
          ],
        }),
      );
    },
    get(call: ServerUnaryCall<GetRequest, GetResponse>, callback: sendUnaryData<GetResponse>) {
      record(ResourceServiceService.get.path, call);
      callback(
        null,
        GetResponse.fromPartial({
          messages: [
            { metadata: meta, resource: { metadata: { type: call.request.type, id: call.request.id } } },
          ],
        }),
      );
    },
  });
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
  return {
    socket,
    calls,
    eventsCancelled,
    eventsStarted,
    dmesgSent: () => dmesgSent,
    uploads,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
