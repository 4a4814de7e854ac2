import { type ChannelCredentials, Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import { MachineServiceClient } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionServiceClient } from "../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { type ClientContext, ensureContext, selectContext } from "../../machinery/client/index.ts";
import { SteleError } from "../../machinery/errors.ts";
/** The gRPC metadata key naming the node apid forwards a call to (one hop). */
import { NODE_METADATA_KEY } from "../../machinery/grpc/metadata-keys.ts";
import { clientConfigPath, type GlobalClientOptions, readClientConfig } from "../client-config-file.ts";
import { certificateFingerprint } from "./apid-contract.ts";
import { mutualTlsCredentials, pinnedTlsCredentials } from "./channel-credentials.ts";
import { describeRpcError } from "./describe-rpc-error.ts";
import { endpointAddress } from "./endpoint-address.ts";
import { fetchServerCertificate } from "./fetch-server-certificate.ts";
import { firstReachableEndpoint } from "./first-reachable-endpoint.ts";
import { parseFingerprint } from "./parse-fingerprint.ts";

export { NODE_METADATA_KEY };

/** The global options of node commands, besides those that find the client config. */
export interface GlobalNodeOptions extends GlobalClientOptions {
  nodes?: string;
  endpoints?: string;
}

/** One node a command talks to, with the clients and metadata that reach it. */
export interface NodeTarget {
  /** How output names the node: as given in --nodes or the context, else the endpoint. */
  node: string;
  /** The endpoint dialled, `host:port`. */
  endpoint: string;
  /** Carries `x-stele-node` when the node was named; empty when the endpoint itself answers. */
  metadata: Metadata;
  machine: MachineServiceClient;
  resource: ResourceServiceClient;
  version: VersionServiceClient;
  /** Turns a failed call to this node into the error to show. */
  describe(error: unknown): SteleError;
}

/** The nodes of one command and the connections to them; `close()` ends every connection. */
export interface NodeSession {
  targets: readonly NodeTarget[];
  /** Whether nodes were named (--nodes or the context), so failures are tagged with them. */
  namedNodes: boolean;
  close(): void;
}

/** Options of `openNodeSession`. */
export interface OpenNodeSessionOptions {
  /** Maintenance mode: no client certificate, the server pinned by `certFingerprint`. */
  insecure?: boolean;
  certFingerprint?: string;
  now?: Date;
}

/**
 * Opens the connections a node command needs, from its global options: the context's credentials
 * (checked before any connection: an expired client certificate is named, not discovered as a
 * dropped handshake), the first reachable endpoint, and one target per node, each call to which
 * carries `x-stele-node` for apid to forward. With --insecure each node is dialled directly and
 * trusted only if it presents the certificate whose fingerprint the operator pinned.
 */
export async function openNodeSession(
  command: Command,
  options: OpenNodeSessionOptions = {},
): Promise<NodeSession> {
  const globals = command.optsWithGlobals() as GlobalNodeOptions;
  const nodes = splitList(globals.nodes);
  const endpoints = splitList(globals.endpoints);
  if (options.insecure) return openInsecureSession(command, { ...options, nodes, endpoints });
  const selected = ensureContext(readClientConfig(clientConfigPath(command)), {
    ...(globals.context === undefined ? {} : { context: globals.context }),
    endpoints,
    nodes,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const context = selected.context;
  const credentials = mutualTlsCredentials(context);
  const endpoint = await firstReachableEndpoint(context.endpoints.map(endpointAddress), credentials);
  const clients = makeClients(endpoint, credentials);
  const describe = (error: unknown) =>
    describeRpcError(error, { endpoint, context, ...(options.now ? { now: options.now } : {}) });
  const named = context.nodes.length > 0;
  const targetNodes = named ? context.nodes : [endpointOf(context, endpoint)];
  return {
    targets: targetNodes.map((node) => ({
      node,
      endpoint,
      metadata: named ? nodeMetadata(node) : new Metadata(),
      ...clients,
      describe,
    })),
    namedNodes: named,
    close: () => clients.machine.close(),
  };
}

async function openInsecureSession(
  command: Command,
  options: OpenNodeSessionOptions & { nodes: string[]; endpoints: string[] },
): Promise<NodeSession> {
  if (options.certFingerprint === undefined) {
    throw new SteleError(
      "invalid-argument",
      "Refusing --insecure without --cert-fingerprint: the node's certificate could not be checked",
      "Copy the SHA-256 fingerprint the node prints on its console or in its log in maintenance mode, and pass it with --cert-fingerprint",
    );
  }
  const pinned = parseFingerprint(options.certFingerprint);
  const addresses =
    options.nodes.length > 0
      ? options.nodes
      : options.endpoints.length > 0
        ? options.endpoints
        : contextEndpoints(command);
  if (addresses.length !== 1) {
    throw new SteleError(
      "invalid-argument",
      addresses.length === 0
        ? "No node to talk to: --insecure needs the node's address"
        : `--insecure talks to one node at a time, not ${addresses.length}: each maintenance-mode node has its own certificate`,
      "Pass the node with --nodes <address> and its fingerprint with --cert-fingerprint",
    );
  }
  const node = addresses[0] ?? "";
  const endpoint = endpointAddress(node);
  const presented = await fetchServerCertificate(endpoint);
  const fingerprint = certificateFingerprint(presented);
  if (fingerprint !== pinned) {
    throw new SteleError(
      "unauthenticated",
      `The node at ${endpoint} presented certificate fingerprint ${fingerprint}, not the pinned ${pinned}`,
      "Compare with the fingerprint on the node's console: a different one means another node or someone in between; nothing was sent",
    );
  }
  const clients = makeClients(endpoint, pinnedTlsCredentials(presented));
  return {
    targets: [
      {
        node,
        endpoint,
        metadata: new Metadata(),
        ...clients,
        describe: (error) => describeRpcError(error, { endpoint }),
      },
    ],
    namedNodes: false,
    close: () => clients.machine.close(),
  };
}

function makeClients(endpoint: string, credentials: ChannelCredentials) {
  const machine = new MachineServiceClient(endpoint, credentials);
  // One HTTP/2 connection for every service of the session.
  const shared = { channelOverride: machine.getChannel() };
  return {
    machine,
    resource: new ResourceServiceClient(endpoint, credentials, shared),
    version: new VersionServiceClient(endpoint, credentials, shared),
  };
}

function nodeMetadata(node: string): Metadata {
  const metadata = new Metadata();
  metadata.set(NODE_METADATA_KEY, node);
  return metadata;
}

function endpointOf(context: ClientContext, address: string): string {
  return context.endpoints.find((endpoint) => endpointAddress(endpoint) === address) ?? address;
}

function contextEndpoints(command: Command): string[] {
  try {
    const globals = command.optsWithGlobals() as GlobalNodeOptions;
    return selectContext(readClientConfig(clientConfigPath(command)), globals.context).context.endpoints;
  } catch {
    return [];
  }
}

/** Splits a comma-separated option (`a,b, c`) into its non-empty items. */
export function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
