import { join } from "node:path";
import { isSteleError } from "../../machinery/errors.ts";
import { type MergedContext, mergeClusterContext } from "../container/cluster-client-context.ts";
import type { ClusterPatches } from "../container/cluster-configs.ts";
import type {
  ClusterNodeApi,
  ConnectClusterNodes,
  HealthWaitTarget,
  WaitHealthy,
} from "../container/cluster-node-api.ts";
import type { ClusterState } from "../container/cluster-state.ts";
import { readMaintenanceFingerprint } from "../container/maintenance-fingerprint.ts";
import type { Progress } from "../container/progress-reporter.ts";
import { waitUntil } from "../container/wait-until.ts";
import type { ClusterMaterial } from "./cluster-material.ts";
import { waitMachinesReady } from "./wait-machines-ready.ts";

/** How long each waiting step of create may take unless told otherwise. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

/** What both provisioners' create takes besides its plan. */
export interface ClusterCreateOptions {
  patches?: ClusterPatches;
  /** The user's client config, into which the cluster's context is merged. */
  clientConfigPath: string;
  /** Where the images are built (`_out/images`). */
  imagesDir: string;
  /** The imager's download cache (`~/.cache/stele/apt` by default). */
  imageCacheDir?: string;
  /** The longest each waiting step may take; 5 minutes by default. */
  waitTimeoutMs?: number;
  /** Leave what was made in place when create fails, to look at it (`--skip-teardown-on-failure`). */
  skipTeardownOnFailure?: boolean;
  /** Aborting (Ctrl-C) stops create at its next wait and tears down what was made. */
  signal?: AbortSignal;
  progress?: Progress;
}

/**
 * The provisioner's part of bringing a cluster up: how its nodes are made and watched, what its
 * state file records, and how it is torn down. Everything else is the same for both.
 */
export interface ClusterBringUp {
  /**
   * The cluster as the container provisioner's state (the QEMU one passes asContainerState): the
   * nodes to wait for, in plan order (the first is the control plane that is bootstrapped), those
   * marked `maintenance` getting their config through maintenance mode; the health wait reads it.
   */
  state: ClusterState;
  /** Makes the cluster dir, the network and the nodes, recording each PID at once (for destroy). */
  start(): Promise<void>;
  /** Throws, saying why, as soon as a process of the cluster has exited: every wait stops at once. */
  assertRunning(): void;
  /** The progress line before the maintenance-mode fingerprints are awaited. */
  maintenanceMessage: string;
  /** How long a node may refuse its maintenance-mode config as unavailable, and how often it is tried. */
  apply: { timeoutMs: number; intervalMs: number };
  /** How long the first control plane may refuse Bootstrap as unavailable. */
  bootstrapTimeoutMs: number;
  /** Records in the state file the client config and context create merged (destroy removes it). */
  recordContext(clientConfig: { path: string; context: string }): void;
  /** Removes everything made so far, after a failure. */
  teardown(progress: Progress): Promise<void>;
}

/** Options of bringUpCluster: create's options and what it calls out to. */
export interface BringUpOptions
  extends Pick<
    ClusterCreateOptions,
    "clientConfigPath" | "waitTimeoutMs" | "skipTeardownOnFailure" | "signal"
  > {
  material: Pick<ClusterMaterial, "configs" | "client">;
  connect: ConnectClusterNodes;
  /** The last step; by default, wait until every node's MachineStatus is ready. */
  waitHealthy?: WaitHealthy | undefined;
  progress: Progress;
}

/**
 * The steps both provisioners take once secrets, configs and images are ready: start the nodes
 * (the provisioner's part); apply each maintenance node's config through maintenance mode, pinned
 * to the certificate fingerprint it printed on its console, as bare metal gets it; wait for apid
 * over mutual TLS on every node; bootstrap etcd on the first control plane; wait until healthy;
 * merge the cluster's context into the client config. Any failure tears down what was made
 * (unless skipTeardownOnFailure) and is rethrown; the node connections are closed either way.
 */
export async function bringUpCluster(
  cluster: ClusterBringUp,
  options: BringUpOptions,
): Promise<MergedContext> {
  const { progress, material } = options;
  const { state } = cluster;
  let nodes: ClusterNodeApi | undefined;
  try {
    await cluster.start();

    const context = material.client.contexts[state.name]!;
    nodes = options.connect(context);
    const api = nodes;
    const waitOptions = {
      timeoutMs: options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      signal: options.signal,
      precondition: () => cluster.assertRunning(),
    };

    progress(cluster.maintenanceMessage);
    await Promise.all(
      state.nodes
        .filter((node) => node.maintenance)
        .map(async (node) => {
          const consoleLog = join(node.nodeDir, "console.log");
          const fingerprint = await waitUntil(
            `${node.name} to print its certificate fingerprint in ${consoleLog}`,
            async () => readMaintenanceFingerprint(consoleLog),
            waitOptions,
          );
          progress(
            `applying ${node.name}'s config through maintenance mode (fingerprint ${fingerprint.slice(0, 11)}…)`,
          );
          await waitUntil(
            `${node.name} to accept its config in maintenance mode`,
            async () => {
              await api.applyConfigInsecure(node.address, {
                fingerprint,
                config: Buffer.from(material.configs.nodes.get(node.name)!),
              });
              return true;
            },
            {
              ...waitOptions,
              timeoutMs: Math.min(waitOptions.timeoutMs, cluster.apply.timeoutMs),
              intervalMs: cluster.apply.intervalMs,
              retryIf: isUnavailable,
            },
          );
        }),
    );

    progress("waiting for apid on every node (mutual TLS)…");
    await Promise.all(
      state.nodes.map((node) =>
        waitUntil(
          `apid of ${node.name} (${node.address}) to answer over mutual TLS`,
          () => api.version(node.address),
          waitOptions,
        ),
      ),
    );

    const first = state.nodes[0]!;
    progress(`bootstrapping etcd on ${first.name}…`);
    let attempts = 0;
    await waitUntil(
      `${first.name} to accept Bootstrap`,
      async () => {
        attempts++;
        try {
          await api.bootstrap(first.address);
        } catch (error) {
          // A retry after an answer that was lost finds the bootstrap under way: that is success.
          const started = isSteleError(error) && /already (being )?bootstrapped/.test(error.message);
          if (!(attempts > 1 && started)) throw error;
        }
        return true;
      },
      {
        ...waitOptions,
        timeoutMs: Math.min(waitOptions.timeoutMs, cluster.bootstrapTimeoutMs),
        intervalMs: 1000,
        retryIf: isUnavailable,
      },
    );

    progress("waiting for the cluster to be healthy…");
    const target: HealthWaitTarget = {
      state,
      context,
      nodes: api,
      signal: options.signal ?? new AbortController().signal,
      progress,
      timeoutMs: waitOptions.timeoutMs,
    };
    await (options.waitHealthy ?? waitMachinesReady)(target);

    const merged = mergeClusterContext(options.clientConfigPath, material.client);
    cluster.recordContext({ path: options.clientConfigPath, context: merged.context });
    progress(
      `merged context ${merged.context} into ${options.clientConfigPath}${merged.renamedFrom ? ` (${merged.renamedFrom} was taken)` : ""}`,
    );
    return {
      context: merged.context,
      ...(merged.renamedFrom ? { renamedFrom: merged.renamedFrom } : {}),
    };
  } catch (error) {
    progress(`create failed: ${error instanceof Error ? error.message : String(error)}`);
    if (options.skipTeardownOnFailure) {
      progress(`left everything in place (--skip-teardown-on-failure): ${state.clusterDir}`);
      throw error;
    }
    progress("tearing down what was made…");
    try {
      await cluster.teardown((message) => progress(`  ${message}`));
    } catch (teardownError) {
      progress(`teardown incomplete: ${(teardownError as Error).message}`);
    }
    throw error;
  } finally {
    nodes?.close();
  }
}

/** Whether a call failed because the node is not answering yet: worth trying again. */
function isUnavailable(error: unknown): boolean {
  return isSteleError(error) && error.code === "unavailable";
}
