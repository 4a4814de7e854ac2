import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ClientConfig, mintClientConfig, serializeClientConfig } from "../../machinery/client/index.ts";
import { APID_PORT } from "../../machinery/constants.ts";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { generateSecretsBundle, serializeSecretsBundle } from "../../machinery/pki/index.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";
import { mergeClusterContext } from "./cluster-client-context.ts";
import { type ClusterConfigs, type ClusterPatches, generateClusterConfigs } from "./cluster-configs.ts";
import { createClusterNetwork, findNetworkConflicts } from "./cluster-network.ts";
import type {
  ClusterNodeApi,
  ConnectClusterNodes,
  HealthWaitTarget,
  WaitHealthy,
} from "./cluster-node-api.ts";
import type { ClusterPlan } from "./cluster-plan.ts";
import {
  type ClusterState,
  type ClusterStateNode,
  initialClusterState,
  writeClusterState,
} from "./cluster-state.ts";
import { destroyCluster } from "./destroy-cluster.ts";
import { CLUSTER_ROOTFS_FILE } from "./find-leftovers.ts";
import { isRunning } from "./host-processes.ts";
import { readMaintenanceFingerprint } from "./maintenance-fingerprint.ts";
import { type EnsureImagesOptions, ensureClusterImages, type NodeImages } from "./node-image-adapter.ts";
import type { Progress } from "./progress-reporter.ts";
import type { runCommand } from "./run-command.ts";
import { type KeeperOptions, removeSandboxCgroup, sandboxKeeperCommand } from "./sandbox-adapter.ts";
import { waitUntil } from "./wait-until.ts";

/** How long each waiting step of create may take unless told otherwise. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

/** The arguments of machined inside every node (the C1 contract). */
export const MACHINED_ARGS: readonly string[] = [
  "--platform",
  "container",
  "--state-dir",
  "/system",
  "--var-dir",
  "/var",
  "--apid-listen",
  `0.0.0.0:${APID_PORT}`,
];

/** Options of createCluster. */
export interface CreateClusterOptions {
  plan: ClusterPlan;
  patches?: ClusterPatches;
  /** The user's client config, into which the cluster's context is merged. */
  clientConfigPath: string;
  /** Where the node images are built (`_out/images`). */
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

/** What createCluster calls out to: replaceable in tests, and wired to the CLI's code by stelectl. */
export interface CreateClusterDependencies {
  connect: ConnectClusterNodes;
  /** The last step; by default, wait until every node's MachineStatus is ready. */
  waitHealthy?: WaitHealthy;
  ensureImages?: (options: EnsureImagesOptions) => Promise<NodeImages>;
  keeperCommand?: (options: KeeperOptions) => Promise<{ command: string; args: string[] }>;
  removeNodeCgroup?: (cgroupPath: string) => Promise<void>;
  run?: typeof runCommand;
}

/** A created cluster: its recorded state and the context merged for it. */
export interface CreatedCluster {
  state: ClusterState;
  /** The context's name in the client config (the cluster's, or `<name>-N` if that was taken). */
  context: string;
  /** Set when the cluster's name was taken by another context and this one was renamed. */
  renamedFrom?: string;
}

/**
 * Creates a local cluster of the container platform and waits until it is healthy: refuses when
 * the cluster or its network already exists; generates secrets and configs; builds the node image
 * if needed; makes the cluster dir with a per-cluster copy of the image (so a loop device left
 * behind names its cluster); creates the network; starts every node's keeper detached (PIDs go to
 * cluster.json at once, for destroy); gives the last node its config through maintenance mode, as
 * bare metal gets it; waits for apid on every node; bootstraps etcd on the first control plane;
 * waits until healthy; merges the cluster's context into the client config. On any failure,
 * everything made so far is torn down (unless skipTeardownOnFailure) and the error is rethrown.
 */
export async function createCluster(
  options: CreateClusterOptions,
  dependencies: CreateClusterDependencies,
): Promise<CreatedCluster> {
  const { plan } = options;
  const progress = options.progress ?? (() => {});
  await refuseExisting(plan, dependencies.run);

  // Secrets and configs first: a patch that does not apply fails before anything is built or made.
  progress("generating secrets and machine configs…");
  const secrets = await generateSecretsBundle();
  const configs = generateClusterConfigs(plan, {
    secrets,
    patches: options.patches ?? { common: [], controlPlane: [], worker: [] },
  });
  const client = await mintClientConfig({
    osCA: secrets.certs.os,
    roles: ["os:admin"],
    contextName: plan.name,
    endpoints: plan.nodes.filter((node) => node.role === "controlplane").map((node) => node.address),
    nodes: [plan.nodes[0]!.address],
  });

  progress("building the node image…");
  const images = await (dependencies.ensureImages ?? ensureClusterImages)({
    outputDir: options.imagesDir,
    ...(options.imageCacheDir === undefined ? {} : { cacheDir: options.imageCacheDir }),
    onProgress: (message) => progress(`  ${message}`),
  });

  const state = initialClusterState(plan);
  let nodes: ClusterNodeApi | undefined;
  try {
    writeClusterDir(state, {
      images,
      configs,
      secretsYaml: serializeSecretsBundle(secrets),
      client,
      progress,
    });

    progress(
      `creating the network: bridge ${plan.bridge.name} (${plan.bridge.address}/${plan.prefixLength}), ${plan.nodes.length} namespaces`,
    );
    await createClusterNetwork(plan, dependencies.run ? { run: dependencies.run } : {});

    progress(`starting ${plan.nodes.length} node${plan.nodes.length === 1 ? "" : "s"}…`);
    for (const node of state.nodes) {
      node.keeperPid = await startKeeper(state, node, dependencies.keeperCommand ?? sandboxKeeperCommand);
      writeClusterState(state);
    }

    const context = client.contexts[plan.name]!;
    nodes = dependencies.connect(context);
    const waitOptions = {
      timeoutMs: options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      signal: options.signal,
      precondition: () => assertKeepersRunning(state),
    };

    const maintenance = state.nodes.find((node) => node.maintenance)!;
    progress(`waiting for ${maintenance.name} to show its maintenance-mode fingerprint…`);
    const consoleLog = join(maintenance.nodeDir, "console.log");
    const fingerprint = await waitUntil(
      `${maintenance.name} to print its certificate fingerprint in ${consoleLog}`,
      async () => readMaintenanceFingerprint(consoleLog),
      waitOptions,
    );
    progress(
      `applying ${maintenance.name}'s config through maintenance mode (fingerprint ${fingerprint.slice(0, 11)}…)`,
    );
    const api = nodes;
    await waitUntil(
      `${maintenance.name} to accept its config in maintenance mode`,
      async () => {
        await api.applyConfigInsecure(maintenance.address, {
          fingerprint,
          config: Buffer.from(configs.nodes.get(maintenance.name)!),
        });
        return true;
      },
      {
        ...waitOptions,
        timeoutMs: Math.min(waitOptions.timeoutMs, 30_000),
        intervalMs: 500,
        retryIf: isUnavailable,
      },
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
        timeoutMs: Math.min(waitOptions.timeoutMs, 60_000),
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
    await (dependencies.waitHealthy ?? waitMachinesReady)(target);

    const merged = mergeClusterContext(options.clientConfigPath, client);
    state.clientConfig = { path: options.clientConfigPath, context: merged.context };
    writeClusterState(state);
    progress(
      `merged context ${merged.context} into ${options.clientConfigPath}${merged.renamedFrom ? ` (${merged.renamedFrom} was taken)` : ""}`,
    );
    return {
      state,
      context: merged.context,
      ...(merged.renamedFrom ? { renamedFrom: merged.renamedFrom } : {}),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (options.skipTeardownOnFailure) {
      progress(`create failed: ${reason}`);
      progress(`left everything in place (--skip-teardown-on-failure): ${plan.clusterDir}`);
      throw error;
    }
    progress(`create failed: ${reason}`);
    progress("tearing down what was made…");
    try {
      await destroyCluster(state, {
        clientConfigPath: options.clientConfigPath,
        progress: (message) => progress(`  ${message}`),
        removeNodeCgroup: dependencies.removeNodeCgroup ?? removeSandboxCgroup,
        ...(dependencies.run ? { run: dependencies.run } : {}),
      });
    } catch (teardownError) {
      progress(`teardown incomplete: ${(teardownError as Error).message}`);
    }
    throw error;
  } finally {
    nodes?.close();
  }
}

/** Refuses to create over an existing cluster or into a network the host already uses. */
async function refuseExisting(plan: ClusterPlan, run: typeof runCommand | undefined): Promise<void> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new SteleError(
      "permission-denied",
      "Creating a local cluster needs root: it makes network namespaces, mounts and cgroups",
      "run it as root, e.g. with sudo",
    );
  }
  const destroy = `stelectl cluster destroy --name ${plan.name}`;
  if (existsSync(plan.clusterDir)) {
    throw new SteleError(
      "already-exists",
      `Cluster ${plan.name} already exists: ${plan.clusterDir}`,
      `remove it with \`${destroy}\` (add --state-dir if you gave one), or choose another --name`,
    );
  }
  const conflicts = await findNetworkConflicts(plan, run ? { run } : {});
  if (conflicts.length === 0) return;
  const ours = conflicts.some((c) => c.startsWith("link ") || c.startsWith("network namespace "));
  throw new SteleError(
    ours ? "already-exists" : "failed-precondition",
    `Cannot create cluster ${plan.name} on ${plan.cidr}: ${conflicts.join("; ")}`,
    ours
      ? `a cluster named ${plan.name} left its network behind: remove it with \`${destroy}\``
      : "choose a --cidr no host interface or route uses, e.g. --cidr 10.251.0.0/24",
  );
}

/** Makes the cluster dir: cluster.json first (destroy's source of truth), images, secrets, configs, node dirs. */
function writeClusterDir(
  state: ClusterState,
  parts: {
    images: NodeImages;
    configs: ClusterConfigs;
    secretsYaml: string;
    client: ClientConfig;
    progress: Progress;
  },
): void {
  const dir = state.clusterDir;
  mkdirSync(join(dir, ".."), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(dir, { mode: 0o700 }); // not recursive: fails if another create got here first
  } catch (error) {
    throw new SteleError(
      "io",
      `Cannot create the cluster dir ${dir}: ${(error as Error).message}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  writeClusterState(state);
  parts.progress(`copying the node image into ${dir}`);
  copyFileSync(parts.images.rootfs, join(dir, CLUSTER_ROOTFS_FILE), constants.COPYFILE_FICLONE);
  mkdirSync(join(dir, "image-cache"), { mode: 0o755 });
  copyFileSync(parts.images.etcdImage, join(dir, "image-cache", "etcd.oci.tar"), constants.COPYFILE_FICLONE);
  writeFilesAtomically([
    { path: join(dir, "secrets.yaml"), content: parts.secretsYaml, mode: 0o600 },
    { path: join(dir, "controlplane.yaml"), content: parts.configs.controlplane, mode: 0o600 },
    { path: join(dir, "worker.yaml"), content: parts.configs.worker, mode: 0o600 },
    { path: join(dir, "stelectlconfig"), content: serializeClientConfig(parts.client), mode: 0o600 },
  ]);
  for (const node of state.nodes) {
    mkdirSync(join(node.nodeDir, "state"), { recursive: true, mode: 0o700 });
    mkdirSync(join(node.nodeDir, "var"), { mode: 0o755 });
    mkdirSync(join(node.nodeDir, "root"), { mode: 0o755 });
    if (node.maintenance) continue; // it gets its config through the API, as bare metal does
    writeFilesAtomically([
      {
        path: join(node.nodeDir, "state", "config.yaml"),
        content: parts.configs.nodes.get(node.name)!,
        mode: 0o600,
      },
    ]);
  }
}

/**
 * Starts a node's keeper detached from this process (its own session, output to the node's
 * console.log), so the cluster outlives `stelectl cluster create`. Returns its PID.
 */
async function startKeeper(
  state: ClusterState,
  node: ClusterStateNode,
  keeperCommand: (options: KeeperOptions) => Promise<{ command: string; args: string[] }>,
): Promise<number> {
  const { command, args } = await keeperCommand({
    name: node.name,
    netns: node.netns,
    rootfs: join(state.clusterDir, CLUSTER_ROOTFS_FILE),
    nodeDir: node.nodeDir,
    hostname: node.name,
    cgroup: node.cgroup,
    imageCache: join(state.clusterDir, "image-cache"),
    machinedArgs: [...MACHINED_ARGS],
  });
  const consoleFd = openSync(join(node.nodeDir, "console.log"), "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { detached: true, stdio: ["ignore", consoleFd, consoleFd] });
  } finally {
    closeSync(consoleFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const reason = await new Promise<string>((resolve) =>
      child.once("error", (error) => resolve(error.message)),
    );
    throw new SteleError(
      "io",
      `Cannot start the keeper of ${node.name}: ${command}: ${reason}`,
      "check the stele installation",
    );
  }
  child.on("error", () => {}); // reported through the liveness checks, not as an unhandled event
  child.unref();
  return pid;
}

/** Throws, with the end of its console, as soon as a node's keeper has exited. */
function assertKeepersRunning(state: ClusterState): void {
  for (const node of state.nodes) {
    if (node.keeperPid === undefined || isRunning(node.keeperPid)) continue;
    const consoleLog = join(node.nodeDir, "console.log");
    throw new SteleError(
      "unavailable",
      `Node ${node.name} stopped: its keeper (PID ${node.keeperPid}) exited. The end of ${consoleLog}:\n${tail(consoleLog, 15)}`,
      "fix what the console says, or run with --skip-teardown-on-failure to look at the cluster dir",
    );
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .map((line) => `  | ${line}`)
      .join("\n");
  } catch {
    return "  (no console output)";
  }
}

/** Whether a call failed because the node is not answering yet: worth trying again. */
function isUnavailable(error: unknown): boolean {
  return isSteleError(error) && error.code === "unavailable";
}

/** The default health wait: every node's MachineStatus says ready. */
export async function waitMachinesReady(target: HealthWaitTarget): Promise<void> {
  await Promise.all(
    target.state.nodes.map(async (node) => {
      await waitUntil(
        `${node.name} to be ready`,
        async () => {
          const status = await target.nodes.machineStatus(node.address);
          if (status.ready) return true;
          throw new Error(`stage ${status.stage}, waiting for ${status.unmet.join(", ") || "readiness"}`);
        },
        { timeoutMs: target.timeoutMs, signal: target.signal, intervalMs: 500 },
      );
      target.progress(`${node.name} is ready`);
    }),
  );
}
