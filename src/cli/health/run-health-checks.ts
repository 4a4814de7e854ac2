import { setTimeout as sleep } from "node:timers/promises";
import type { ClientContext } from "../../machinery/client/index.ts";
import { SteleError } from "../../machinery/errors.ts";
import { discoverNodes } from "./discover-nodes.ts";
import { grpcHealthSource } from "./grpc-health-source.ts";
import {
  HEALTH_CHECKS,
  type HealthCheck,
  type HealthNode,
  KUBERNETES_SKIP_REASON,
  reasonOf,
} from "./health-checks.ts";
import type { HealthSource } from "./health-source.ts";

/** `stelectl health`'s default --wait-timeout. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 5 * 60_000;

/** Options of {@link runHealthChecks}. */
export interface HealthCheckOptions {
  /** Credentials, endpoints and (for discovery) nodes of the cluster: a client context. */
  context?: Pick<ClientContext, "ca" | "crt" | "key" | "endpoints" | "nodes">;
  /** Asks the cluster instead of a connection made from `context`; closed by the caller. */
  source?: HealthSource;
  /** The control-plane nodes (addresses); with `workerNodes`, replaces discovery. */
  controlPlaneNodes?: readonly string[];
  workerNodes?: readonly string[];
  /** How long every check together may take to hold; {@link DEFAULT_HEALTH_TIMEOUT_MS} by default. */
  timeoutMs?: number;
  /** The pause between two attempts of a check that does not hold yet; 1 s by default. */
  retryIntervalMs?: number;
  /** Told of every step, for a progress display (`formatHealthProgress` prints it as stelectl does). */
  onProgress?: (event: HealthProgress) => void;
  /** Stops waiting: the check under way fails as interrupted, and those after it are not run. */
  signal?: AbortSignal;
}

/** A step of the health checks, as it happens. */
export type HealthProgress =
  | { kind: "discovered"; nodes: readonly HealthNode[] }
  /** A check began (`message` undefined), or does not hold yet for a new reason. */
  | { kind: "waiting"; check: string; description: string; message?: string }
  | { kind: "passed"; check: string; description: string; elapsedMs: number }
  | { kind: "failed"; check: string; description: string; message: string; elapsedMs: number }
  | { kind: "skipped"; check: string; reason: string };

/** How one check ended. */
export interface HealthCheckResult {
  readonly id: string;
  readonly description: string;
  readonly outcome: "passed" | "failed" | "skipped";
  /** Why it failed or was skipped; empty when it passed. */
  readonly message: string;
  readonly elapsedMs: number;
}

/** What the health checks found. */
export interface HealthReport {
  /** Every check that ran passed. */
  readonly ok: boolean;
  readonly nodes: readonly HealthNode[];
  readonly checks: readonly HealthCheckResult[];
}

const DISCOVERY: HealthCheck = {
  id: "discovery",
  description: "the cluster's nodes to be listed",
  run: async () => {},
};

/**
 * Checks a cluster as `stelectl health` does and reports what it found: apid reachable on every node,
 * every node booted and ready, etcd healthy on every control plane, etcd's members the same everywhere
 * and matching the control planes, clocks in step; the Kubernetes checks are reported skipped with the
 * reason. Each check is retried until it holds or the time is up, in order, so a cluster still coming
 * up is waited for; once the time is up every remaining check is still tried once, so the report names
 * every failing check, not only the first. Without node lists the nodes are discovered from the
 * endpoint's Member resources and the context's nodes.
 */
export async function runHealthChecks(options: HealthCheckOptions): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const retryIntervalMs = options.retryIntervalMs ?? 1_000;
  const deadline = Date.now() + timeoutMs;
  const progress = options.onProgress ?? (() => {});
  const owned = options.source === undefined;
  const source = options.source ?? (await grpcHealthSource({ context: requireContext(options.context) }));
  const results: HealthCheckResult[] = [];
  const attempt = (check: HealthCheck, run: () => Promise<void>) =>
    retryUntil(check, run, { deadline, retryIntervalMs, progress, signal: options.signal });
  try {
    let nodes: HealthNode[] = [];
    const named = [...(options.controlPlaneNodes ?? []), ...(options.workerNodes ?? [])];
    if (named.length > 0) {
      nodes = [
        ...(options.controlPlaneNodes ?? []).map((address) => ({
          address,
          machineType: "controlplane" as const,
        })),
        ...(options.workerNodes ?? []).map((address) => ({ address, machineType: "worker" as const })),
      ];
    } else {
      const discovery = await attempt(DISCOVERY, async () => {
        nodes = await discoverNodes(source, { contextNodes: options.context?.nodes ?? [] });
        if (nodes.length === 0)
          throw new SteleError("not-found", "No node found: the endpoint lists no Member");
      });
      if (discovery.outcome === "failed") return { ok: false, nodes, checks: [discovery] };
    }
    progress({ kind: "discovered", nodes });
    const context = { nodes, source, hostnames: new Map<string, string>() };
    for (const check of HEALTH_CHECKS) {
      if (options.signal?.aborted) {
        results.push({
          id: check.id,
          description: check.description,
          outcome: "failed",
          message: "not run: interrupted",
          elapsedMs: 0,
        });
        continue;
      }
      results.push(await attempt(check, () => check.run(context)));
    }
    progress({ kind: "skipped", check: "kubernetes", reason: KUBERNETES_SKIP_REASON });
    results.push({
      id: "kubernetes",
      description: "Kubernetes to be healthy",
      outcome: "skipped",
      message: KUBERNETES_SKIP_REASON,
      elapsedMs: 0,
    });
    return { ok: results.every((r) => r.outcome !== "failed"), nodes, checks: results };
  } finally {
    if (owned) source.close();
  }
}

/** Runs a check until it holds or the deadline passes (one attempt at least), telling progress. */
async function retryUntil(
  check: HealthCheck,
  run: () => Promise<void>,
  options: {
    deadline: number;
    retryIntervalMs: number;
    progress: (event: HealthProgress) => void;
    signal: AbortSignal | undefined;
  },
): Promise<HealthCheckResult> {
  const { id, description } = check;
  const began = Date.now();
  options.progress({ kind: "waiting", check: id, description });
  let last: string | undefined;
  for (;;) {
    try {
      await run();
      const elapsedMs = Date.now() - began;
      options.progress({ kind: "passed", check: id, description, elapsedMs });
      return { id, description, outcome: "passed", message: "", elapsedMs };
    } catch (error) {
      const message = reasonOf(error);
      const left = options.deadline - Date.now();
      if (left <= 0 || options.signal?.aborted) {
        const elapsedMs = Date.now() - began;
        const final = options.signal?.aborted ? `interrupted: ${message}` : message;
        options.progress({ kind: "failed", check: id, description, message: final, elapsedMs });
        return { id, description, outcome: "failed", message: final, elapsedMs };
      }
      if (message !== last) options.progress({ kind: "waiting", check: id, description, message });
      last = message;
      await sleep(Math.min(options.retryIntervalMs, left), undefined, { signal: options.signal }).catch(
        () => {},
      );
    }
  }
}

function requireContext(context: HealthCheckOptions["context"]): NonNullable<HealthCheckOptions["context"]> {
  if (context === undefined) {
    throw new SteleError(
      "invalid-argument",
      "Cannot check the cluster's health: no client context given",
      "Pass the cluster's client context (or a source) to runHealthChecks",
    );
  }
  return context;
}
