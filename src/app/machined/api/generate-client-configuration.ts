import type {
  GenerateClientConfigurationReply,
  GenerateClientConfigurationRequest,
} from "../../../machinery/api/machine/v1alpha1/machine.ts";
import {
  DEFAULT_CLIENT_CERTIFICATE_TTL_MS,
  mintClientConfig,
  serializeClientConfig,
} from "../../../machinery/client/index.ts";
import { findDocument } from "../../../machinery/config/index.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { parseRoles, ROLES, type Role } from "../../../machinery/role/roles.ts";
import type { LoadedConfig } from "../config/config-store.ts";

/**
 * The longest lifetime a node mints a client certificate for: ten years. A credential that
 * outlives the OS CA (also ten years) or any reasonable rotation policy is a mistake, not a choice.
 */
export const MAX_CLIENT_CERTIFICATE_TTL_MS = 10 * 365 * 24 * 3_600_000;

/**
 * The Organization of apid's peer certificates (`os:impersonator` in src/app/apid). Written out
 * here because machined may not import from another daemon; it is refused with its own message so
 * that a caller learns why the role they saw in a peer certificate cannot be minted.
 */
const IMPERSONATOR_ROLE = "os:impersonator";

/** What a client config reply is minted from: the node's running config, if any. */
export interface GenerateClientConfigurationOptions {
  /** The running config; undefined in maintenance mode. */
  config: LoadedConfig | undefined;
  /** The clock certificates are dated by (tests pass one). */
  now?: Date;
}

/**
 * Mints a client identity signed by this control plane's OS CA, as `talosctl config new` asks a
 * node to: roles from the request (at least one, never `os:impersonator`), lifetime `crt_ttl`
 * (default one year, at most ten), context named after the cluster, the control-plane endpoint's
 * host as the one endpoint, and no default nodes (the caller knows its nodes better than the node
 * does). A worker holds no CA key and a node in maintenance mode no config: both are refused as
 * FAILED_PRECONDITION so the caller turns to a control plane rather than retrying.
 */
export async function generateClientConfiguration(
  request: GenerateClientConfigurationRequest,
  options: GenerateClientConfigurationOptions,
): Promise<Omit<GenerateClientConfigurationReply, "metadata">> {
  const roles = requestedRoles(request.roles);
  const ttlMs = requestedTtlMs(request);
  const config = options.config;
  if (!config) {
    throw new SteleError(
      "failed-precondition",
      "Cannot mint a client config: the node is in maintenance mode and has no machine config",
      "Apply a control plane's machine config first, or ask a control plane that is running",
    );
  }
  const machine = config.parsed.machineConfig;
  if (!machine.ca.key) {
    throw new SteleError(
      "failed-precondition",
      "Only a control plane can mint client configs: this worker holds no OS CA key",
      "Send the request to a control-plane node (--nodes <control plane>), or mint offline with `stelectl config new --with-secrets secrets.yaml`",
    );
  }
  const cluster = findDocument(config.parsed.documents, "ClusterConfig");
  if (!cluster) {
    throw new SteleError(
      "failed-precondition",
      "Cannot mint a client config: the machine config has no ClusterConfig document",
      "Apply a complete control-plane config, as `stelectl gen config` writes it",
    );
  }
  const minted = await mintClientConfig({
    osCA: { crt: machine.ca.crt, key: machine.ca.key },
    roles,
    ttlMs,
    contextName: cluster.clusterName,
    endpoints: [new URL(cluster.controlPlane.endpoint).hostname],
    nodes: [],
    ...(options.now ? { now: options.now } : {}),
  });
  const context = minted.contexts[minted.context];
  if (!context) throw new SteleError("internal", "Minted client config lacks its own context");
  return {
    ca: Buffer.from(context.ca),
    crt: Buffer.from(context.crt),
    key: Buffer.from(context.key),
    stelectlconfig: Buffer.from(serializeClientConfig(minted)),
  };
}

function requestedRoles(items: readonly string[]): Role[] {
  if (items.some((item) => item.trim() === IMPERSONATOR_ROLE)) {
    throw new SteleError(
      "invalid-argument",
      `Refusing to mint role ${IMPERSONATOR_ROLE}: it is reserved for apid's peer certificates; valid roles are ${ROLES.join(", ")}`,
      "Pick roles from that list, e.g. --roles os:reader",
    );
  }
  return parseRoles(items);
}

function requestedTtlMs(request: GenerateClientConfigurationRequest): number {
  const ttl = request.crtTtl;
  if (!ttl) return DEFAULT_CLIENT_CERTIFICATE_TTL_MS;
  const ms = Number(ttl.seconds) * 1000 + Math.floor(ttl.nanos / 1e6);
  if (ms <= 0 || ms > MAX_CLIENT_CERTIFICATE_TTL_MS) {
    throw new SteleError(
      "invalid-argument",
      `Invalid certificate lifetime: ${ttl.seconds}s is ${ms <= 0 ? "not positive" : "longer than ten years"}`,
      "Give a lifetime between 1s and 87600h, e.g. --ttl 720h",
    );
  }
  return ms;
}
