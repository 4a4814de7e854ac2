import { type CallOptions, type ClientUnaryCall, Metadata, type ServiceError } from "@grpc/grpc-js";
import type { Metadata as ReplyMetadata } from "../../machinery/api/common/v1alpha1/common.ts";
import { MachineServiceClient } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceClient, type WatchStatsResponse } from "../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceClient } from "../../machinery/api/machine/v1alpha1/version.ts";
import { type Resource, ResourceServiceClient } from "../../machinery/api/resource/v1alpha1/resource.ts";
import type { ClientContext } from "../../machinery/client/index.ts";
import { SteleError } from "../../machinery/errors.ts";
import { mutualTlsCredentials } from "../client/channel-credentials.ts";
import { describeRpcError } from "../client/describe-rpc-error.ts";
import { endpointAddress } from "../client/endpoint-address.ts";
import { readStream } from "../client/fan-out.ts";
import { firstReachableEndpoint } from "../client/first-reachable-endpoint.ts";
import { NODE_METADATA_KEY } from "../client/node-session.ts";
import { parseResourceSpec } from "../client/parse-resource-spec.ts";
import { replyError } from "../client/reply-error.ts";
import type { ClockReading, HealthSource, MachineStatusEntry, MemberEntry } from "./health-source.ts";

/** Options of {@link grpcHealthSource}. */
export interface GrpcHealthSourceOptions {
  /** Whose credentials, and which endpoints to dial (the first reachable one carries every call). */
  context: Pick<ClientContext, "ca" | "crt" | "key" | "endpoints">;
  /** How long one call may take; 10 s by default, so one dead node cannot stall a whole round. */
  callTimeoutMs?: number;
}

const MEMBER_TYPE = "Members.cluster.stele.dev";
const MACHINE_STATUS_TYPE = "MachineStatuses.runtime.stele.dev";
const TIME_STATUS_TYPE = "TimeStatuses.time.stele.dev";

/**
 * A HealthSource over the API: one mutual-TLS connection to the context's first reachable endpoint,
 * and every question about another node routed there with `x-stele-node`, as every stelectl
 * command does. Each call has a deadline, and each failure is described as stelectl describes it.
 */
export async function grpcHealthSource(options: GrpcHealthSourceOptions): Promise<HealthSource> {
  const credentials = mutualTlsCredentials(options.context);
  const endpoint = await firstReachableEndpoint(options.context.endpoints.map(endpointAddress), credentials);
  const machine = new MachineServiceClient(endpoint, credentials);
  const shared = { channelOverride: machine.getChannel() };
  const version = new VersionServiceClient(endpoint, credentials, shared);
  const resource = new ResourceServiceClient(endpoint, credentials, shared);
  const stats = new StatsServiceClient(endpoint, credentials, shared);
  const timeoutMs = options.callTimeoutMs ?? 10_000;
  const callOptions = (): Partial<CallOptions> => ({ deadline: Date.now() + timeoutMs });
  const metadataOf = (node: string | undefined): Metadata => {
    const metadata = new Metadata();
    if (node !== undefined) metadata.set(NODE_METADATA_KEY, node);
    return metadata;
  };
  const described = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw describeRpcError(error, { endpoint, context: options.context });
    }
  };
  const getResource = (node: string, type: string, namespace: string, id: string) =>
    unary(resource.get.bind(resource), { namespace, type, id }, metadataOf(node), callOptions()).then(
      (replies) => replies[0]?.resource,
    );

  return {
    members: (node) =>
      described(async () => {
        const resources: Resource[] = [];
        const stream = resource.list(
          { namespace: "cluster", type: MEMBER_TYPE },
          metadataOf(node),
          callOptions(),
        );
        await readStream<{ resource?: Resource; metadata?: ReplyMetadata }>(stream, (message) => {
          if (message.resource) resources.push(message.resource);
        });
        return resources.map((r) => memberEntry(parseResourceSpec(r)));
      }),
    hostname: (node) =>
      described(async () => {
        const replies = await unary(version.version.bind(version), {}, metadataOf(node), callOptions());
        return replies[0]?.metadata?.hostname ?? "";
      }),
    machineStatus: (node) =>
      described(async () => {
        const found = await getResource(node, MACHINE_STATUS_TYPE, "runtime", "machine");
        if (!found) throw new SteleError("not-found", "No MachineStatus yet", "Wait for the node to boot");
        const spec = parseResourceSpec(found) as Partial<MachineStatusEntry>;
        return {
          stage: String(spec.stage ?? "unknown"),
          ready: spec.ready === true,
          unmetConditions: spec.unmetConditions ?? [],
        };
      }),
    etcdStatus: (node) =>
      described(async () => {
        const replies = await unary(machine.etcdStatus.bind(machine), {}, metadataOf(node), callOptions());
        const status = replies[0]?.memberStatus;
        return { memberId: status?.memberId ?? 0n, errors: status?.errors ?? [] };
      }),
    etcdMembers: (node) =>
      described(async () => {
        const replies = await unary(
          machine.etcdMemberList.bind(machine),
          { queryLocal: false },
          metadataOf(node),
          callOptions(),
        );
        return (replies[0]?.members ?? []).map((m) => ({
          id: m.id,
          name: m.hostname,
          clientUrls: m.clientUrls,
          isLearner: m.isLearner,
        }));
      }),
    clock: (node) => described(() => readClock(node)),
    close: () => machine.close(),
  };

  /** The node's clock from the first WatchStats sample, which the node stamps as it takes it. */
  async function readClock(node: string): Promise<ClockReading> {
    const sentAt = Date.now();
    const sample = await new Promise<WatchStatsResponse>((resolve, reject) => {
      const stream = stats.watchStats({}, metadataOf(node), callOptions());
      stream.once("data", (message: WatchStatsResponse) => {
        stream.cancel();
        const failed = replyError(message.metadata);
        if (failed) reject(failed);
        else resolve(message);
      });
      stream.on("error", (error: ServiceError) => {
        if (error.code !== 1 /* CANCELLED: ours, after the first sample */) reject(error);
      });
      stream.on("end", () =>
        reject(new SteleError("unavailable", "The node sent no clock reading", undefined)),
      );
    });
    const receivedAt = Date.now();
    const nodeTime = sample.time?.getTime() ?? Number.NaN;
    let synced: ClockReading["synced"];
    try {
      const found = await getResource(node, TIME_STATUS_TYPE, "runtime", "node");
      const spec = found ? (parseResourceSpec(found) as { synced?: unknown; message?: unknown }) : undefined;
      if (typeof spec?.synced === "boolean")
        synced = { synced: spec.synced, message: String(spec.message ?? "") };
    } catch {
      // A node without a TimeStatus is judged by its clock alone.
    }
    return { sentAt, nodeTime, receivedAt, ...(synced ? { synced } : {}) };
  }
}

/** A Member's spec as the checks read it, whatever a node of another release put in it. */
function memberEntry(spec: unknown): MemberEntry {
  const fields = (typeof spec === "object" && spec !== null ? spec : {}) as Record<string, unknown>;
  return {
    hostname: String(fields.hostname ?? ""),
    machineType: String(fields.machineType ?? ""),
    addresses: Array.isArray(fields.addresses) ? fields.addresses.map(String) : [],
  };
}

/** A unary call with options (a deadline), its replies checked for an error apid put in them. */
function unary<Req, Reply extends { metadata?: ReplyMetadata | undefined }>(
  method: (
    request: Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: { messages: Reply[] }) => void,
  ) => ClientUnaryCall,
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (error, response) => {
      if (error) return reject(error);
      const failed = response.messages
        .map((reply) => replyError(reply.metadata))
        .find((e) => e !== undefined);
      if (failed) reject(failed);
      else resolve(response.messages);
    });
  });
}
