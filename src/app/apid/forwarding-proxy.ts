import {
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type Server,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { MachineServiceService } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceService } from "../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import {
  type ResourceDefinition,
  ResourceDefinitionsResponse,
  ResourceServiceService,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../machinery/errors.ts";
import { apidTarget } from "./apid-target.ts";
import { type Admission, type AuthorizeCallOptions, admitCall } from "./authorize-call.ts";
import { FORWARDED_ROLES_METADATA_KEY } from "./forwarded-roles.ts";
import { type PassthroughMethod, passthroughService } from "./passthrough-service.ts";
import { CALLER_ROLES_METADATA_KEY, NODE_METADATA_KEY } from "./routing-metadata.ts";
import { createSensitiveResourceGuard } from "./sensitive-resource-guard.ts";
import { toGrpcStatus } from "./to-grpc-status.ts";

/** The largest message apid passes on, either way: a machine config may run to 16 MiB of text. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** How many peer channels apid keeps open at most; a cluster's nodes fit, a caller's whims do not pile up. */
const MAX_PEER_CHANNELS = 64;

/** The services apid forwards: machined's. SecurityService is trustd's and is not served here. */
export const FORWARDED_SERVICES = [
  VersionServiceService,
  MachineServiceService,
  ResourceServiceService,
  StatsServiceService,
] as const;

/** Options of `createForwardingProxy`. */
export interface ForwardingProxyOptions {
  /** Path of machined's unix socket (`<state-dir>/run/machine.sock`). */
  machinedSocket: string;
  /** How every call is admitted: the role table, maintenance mode, ExtKeyUsage, the logger. */
  admission: AuthorizeCallOptions;
  /**
   * How to reach other nodes' apids for one-hop routing: TLS credentials presenting this node's
   * `os:impersonator` client certificate. Without them a request naming another node is refused
   * (maintenance mode, or a worker, has no such certificate).
   */
  peers?: {
    credentials: ChannelCredentials;
    /** Names (addresses, host names) that mean this node: a request naming one is served here. */
    localNames?: readonly string[];
  };
}

/** The forwarding handlers and the upstream channels they hold. */
export interface ForwardingProxy {
  /** Registers Version, Machine and Resource services on `server`. */
  addTo(server: Server): void;
  /** Closes the channels to machined and to peers; calls in flight fail. */
  close(): void;
}

/** Where one call goes: a channel, and the metadata to send with it. */
interface Route {
  client: Client;
  metadata: Metadata;
  /** The node forwarded to, when the route is a hop (for errors that must name it). */
  peer?: string;
}

/**
 * Names the hop in a failure to reach it: without this the client would see "no connection" and
 * blame its own endpoint, when it is this node that cannot reach the one named.
 */
function describeUpstreamError(error: unknown, target: Route): unknown {
  const code = (error as { code?: unknown }).code;
  if (target.peer === undefined || code !== status.UNAVAILABLE) return error;
  return new SteleError(
    "unavailable",
    `Cannot reach node ${target.peer} from this node: ${(error as { details?: string }).details ?? String(error)}`,
    "Check that the node is up and its apid listens on port 50000, and that this node can reach it",
  );
}

/**
 * apid's forwarding core: a pass-through handler for every method of machined's services. Each call
 * is admitted by the edge (identity and role, or the maintenance allow-list), then routed: to the
 * apid of the node `x-stele-node` names, one hop only, with this node's impersonator certificate and
 * the caller's roles in `x-stele-forwarded-roles`; otherwise to machined's unix socket with the
 * caller's roles in `x-stele-roles`. Messages stay bytes; only ResourceService reads are decoded, to
 * keep sensitive types from non-admins. Deadlines propagate, a client's cancel cancels the upstream
 * call, streams are piped with backpressure, and an upstream status (code, message, trailers such
 * as `x-stele-hint`) reaches the client unchanged.
 */
export function createForwardingProxy(options: ForwardingProxyOptions): ForwardingProxy {
  const channelOptions = {
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  };
  const machined = new Client(`unix:${options.machinedSocket}`, credentials.createInsecure(), channelOptions);
  const peerClients = new Map<string, Client>();
  const guard = createSensitiveResourceGuard({
    fetchDefinitions: () => fetchResourceDefinitions(machined),
  });

  const peerClient = (target: string, peerCredentials: ChannelCredentials): Client => {
    let client = peerClients.get(target);
    if (client === undefined) {
      // Callers choose the targets: keep a bounded set of channels, closing the least recently made.
      if (peerClients.size >= MAX_PEER_CHANNELS) {
        const [oldest, channel] = peerClients.entries().next().value as [string, Client];
        channel.close();
        peerClients.delete(oldest);
      }
      client = new Client(target, peerCredentials, channelOptions);
      peerClients.set(target, client);
    }
    return client;
  };

  const route = async (method: PassthroughMethod, call: RoutedCall): Promise<Route> => {
    const admission = admitCall(method.path, call, options.admission);
    const node = requestedNode(call.metadata);
    if (node !== undefined && !isLocal(node, options.peers?.localNames ?? [])) {
      const { target, credentials: peerCredentials } = hopTarget(node, admission, options.peers);
      const metadata = upstreamMetadata(call.metadata);
      metadata.set(FORWARDED_ROLES_METADATA_KEY, admission.roles.join(","));
      return { client: peerClient(target, peerCredentials), metadata, peer: node };
    }
    // A client stream has no single request to inspect; none of them is a resource read either.
    await guard(method.path, call.request ?? Buffer.alloc(0), admission.roles);
    const metadata = upstreamMetadata(call.metadata);
    metadata.set(CALLER_ROLES_METADATA_KEY, admission.roles.join(","));
    return { client: machined, metadata };
  };

  return {
    addTo(server) {
      for (const definition of FORWARDED_SERVICES) {
        const service = passthroughService(definition);
        const implementation: UntypedServiceImplementation = {};
        for (const [name, method] of Object.entries(service)) {
          implementation[name] = method.requestStream
            ? forwardClientStream(method, route)
            : method.responseStream
              ? forwardStream(method, route)
              : forwardUnary(method, route);
        }
        server.addService(service, implementation);
      }
    },
    close() {
      machined.close();
      for (const client of peerClients.values()) client.close();
      peerClients.clear();
    },
  };
}

/** What routing reads of a call: who calls and what metadata; the request, when there is one. */
type RoutedCall = Pick<ServerUnaryCall<Buffer, Buffer>, "getAuthContext" | "metadata"> & { request?: Buffer };
type Router = (method: PassthroughMethod, call: RoutedCall) => Promise<Route>;

function forwardUnary(method: PassthroughMethod, route: Router) {
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const fail = (error: unknown): void => callback(toGrpcStatus(error));
    route(method, call).then((target) => {
      if (call.cancelled) return;
      const upstream = target.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        call.request,
        target.metadata,
        { deadline: call.getDeadline() },
        (error: ServiceError | null, reply?: Buffer) =>
          error ? fail(describeUpstreamError(error, target)) : callback(null, reply),
      );
      call.on("cancelled", () => upstream.cancel());
    }, fail);
  };
}

function forwardStream(method: PassthroughMethod, route: Router) {
  return (call: ServerWritableStream<Buffer, Buffer>): void => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      call.emit("error", toGrpcStatus(error));
    };
    route(method, call).then((target) => {
      if (call.cancelled) return;
      const upstream = target.client.makeServerStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        call.request,
        target.metadata,
        { deadline: call.getDeadline() },
      );
      call.on("cancelled", () => upstream.cancel());
      let trailers: Metadata | undefined;
      upstream.on("data", (chunk: Buffer) => {
        // Backpressure: a slow client pauses the upstream read instead of filling apid's memory.
        if (!call.write(chunk)) {
          upstream.pause();
          call.once("drain", () => upstream.resume());
        }
      });
      // grpc-js emits the status as soon as it arrives and "end" once every message is read.
      upstream.on("status", (status: { metadata: Metadata }) => {
        trailers = status.metadata;
      });
      upstream.on("end", () => {
        if (settled) return;
        settled = true;
        call.end(trailers);
      });
      upstream.on("error", (error: unknown) => fail(describeUpstreamError(error, target)));
    }, fail);
  };
}

/**
 * Forwards a client-streaming call (EtcdRecover's upload): the requests are piped upstream with
 * backpressure once the call is admitted and routed (until then they wait in the call's buffer, read
 * from the client only as the pipe drains), and the one reply or status comes back. A client's cancel
 * cancels the upstream call. Bidirectional streams would need both directions piped; there are none.
 */
function forwardClientStream(method: PassthroughMethod, route: Router) {
  return (call: ServerReadableStream<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    let settled = false;
    const finish = (error: unknown, reply?: Buffer): void => {
      if (settled) return;
      settled = true;
      if (error) callback(toGrpcStatus(error));
      else callback(null, reply);
    };
    route(method, call).then((target) => {
      if (call.cancelled) return;
      const upstream = target.client.makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        target.metadata,
        { deadline: call.getDeadline() },
        (error: ServiceError | null, reply?: Buffer) =>
          error ? finish(describeUpstreamError(error, target)) : finish(null, reply),
      );
      call.on("cancelled", () => upstream.cancel());
      call.pipe(upstream as unknown as NodeJS.WritableStream);
    }, finish);
  };
}

/** The forwarded-to node named by the call, if any; several names are refused (the client fans out). */
function requestedNode(metadata: Metadata): string | undefined {
  const values = metadata.get(NODE_METADATA_KEY).map(String);
  if (values.length === 0) return undefined;
  if (values.length > 1 || values[0]?.includes(",")) {
    throw new SteleError(
      "invalid-argument",
      `Cannot route the request: ${NODE_METADATA_KEY} names several nodes: ${values.join(", ")}`,
      "Send one request per node; stelectl --nodes a,b does so",
    );
  }
  return values[0]?.trim();
}

function isLocal(node: string, localNames: readonly string[]): boolean {
  const name = node.toLowerCase();
  return localNames.some((local) => {
    if (local.toLowerCase() === name) return true;
    try {
      return apidTarget(local).toLowerCase() === apidTarget(node).toLowerCase();
    } catch {
      return false;
    }
  });
}

/** The peer to forward to, or a refusal: one hop only, and only with an impersonator certificate. */
function hopTarget(
  node: string,
  admission: Admission,
  peers: ForwardingProxyOptions["peers"],
): { target: string; credentials: ChannelCredentials } {
  if (admission.forwarded || admission.identity?.impersonator === true) {
    throw new SteleError(
      "permission-denied",
      `Cannot route the request: it was forwarded once already and names another node, ${node}`,
      "Requests are forwarded one hop only: send the request to an endpoint that reaches that node directly",
    );
  }
  if (peers === undefined) {
    throw new SteleError(
      "failed-precondition",
      `Cannot route the request to ${node}: this node has no certificate to dial other nodes with`,
      "Send the request to a control-plane node, or to that node directly (--endpoints)",
    );
  }
  return { target: apidTarget(node), credentials: peers.credentials };
}

/** Keys that describe this hop, not the request, or that only apid may set. */
const NOT_FORWARDED = new Set([
  NODE_METADATA_KEY,
  FORWARDED_ROLES_METADATA_KEY,
  CALLER_ROLES_METADATA_KEY,
  "user-agent",
]);

/** The caller's metadata, without routing keys and role claims (apid sets those itself). */
function upstreamMetadata(incoming: Metadata): Metadata {
  const metadata = new Metadata();
  for (const key of Object.keys(incoming.getMap())) {
    if (NOT_FORWARDED.has(key) || key.startsWith("grpc-")) continue;
    for (const item of incoming.get(key)) metadata.add(key, item);
  }
  return metadata;
}

/** Asks machined for its resource definitions, for the sensitive-type check. */
function fetchResourceDefinitions(machined: Client): Promise<ResourceDefinition[]> {
  const method = ResourceServiceService.resourceDefinitions;
  return new Promise((resolve, reject) => {
    machined.makeUnaryRequest(
      method.path,
      () => Buffer.alloc(0),
      (bytes: Buffer) => ResourceDefinitionsResponse.decode(bytes),
      {},
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null, reply?: ResourceDefinitionsResponse) =>
        error || reply === undefined
          ? reject(error ?? new Error("no reply"))
          : resolve(reply.messages.flatMap((message) => message.definitions)),
    );
  });
}
