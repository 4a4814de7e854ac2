import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, constants, copyFileSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { type ClientConfig, serializeClientConfig } from "../../machinery/client/index.ts";
import { APID_PORT } from "../../machinery/constants.ts";
import { SteleError } from "../../machinery/errors.ts";
import { serializeSecretsBundle } from "../../machinery/pki/index.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";
import { bringUpCluster, type ClusterCreateOptions } from "../cluster-flow/bring-up-cluster.ts";
import { generateClusterMaterial } from "../cluster-flow/cluster-material.ts";
import { logTail } from "../cluster-flow/log-tail.ts";
import { makeClusterDir } from "../cluster-flow/make-cluster-dir.ts";
import { refuseExistingCluster } from "../cluster-flow/refuse-existing-cluster.ts";
import type { ClusterConfigs } from "./cluster-configs.ts";
import { createClusterNetwork } from "./cluster-network.ts";
import type { ConnectClusterNodes, WaitHealthy } from "./cluster-node-api.ts";
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
import { type EnsureImagesOptions, ensureClusterImages, type NodeImages } from "./node-image-adapter.ts";
import type { Progress } from "./progress-reporter.ts";
import type { runCommand } from "./run-command.ts";
import { type KeeperOptions, removeSandboxCgroup, sandboxKeeperCommand } from "./sandbox-adapter.ts";

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
export interface CreateClusterOptions extends ClusterCreateOptions {
  plan: ClusterPlan;
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

  const material = await generateClusterMaterial(plan, {
    patches: options.patches ?? { common: [], controlPlane: [], worker: [] },
    progress,
  });

  progress("building the node image…");
  const images = await (dependencies.ensureImages ?? ensureClusterImages)({
    outputDir: options.imagesDir,
    ...(options.imageCacheDir === undefined ? {} : { cacheDir: options.imageCacheDir }),
    onProgress: (message) => progress(`  ${message}`),
  });

  const state = initialClusterState(plan);
  const merged = await bringUpCluster(
    {
      state,
      async start() {
        writeClusterDir(state, {
          images,
          configs: material.configs,
          secretsYaml: serializeSecretsBundle(material.secrets),
          client: material.client,
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
      },
      assertRunning: () => assertKeepersRunning(state),
      maintenanceMessage: `waiting for ${state.nodes.find((node) => node.maintenance)!.name} to show its maintenance-mode fingerprint…`,
      apply: { timeoutMs: 30_000, intervalMs: 500 },
      bootstrapTimeoutMs: 60_000,
      recordContext(clientConfig) {
        state.clientConfig = clientConfig;
        writeClusterState(state);
      },
      teardown: (teardownProgress) =>
        destroyCluster(state, {
          clientConfigPath: options.clientConfigPath,
          progress: teardownProgress,
          removeNodeCgroup: dependencies.removeNodeCgroup ?? removeSandboxCgroup,
          ...(dependencies.run ? { run: dependencies.run } : {}),
        }),
    },
    { ...options, material, connect: dependencies.connect, waitHealthy: dependencies.waitHealthy, progress },
  );
  return { state, ...merged };
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
  await refuseExistingCluster(plan, { run });
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
  makeClusterDir(dir);
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
      `Node ${node.name} stopped: its keeper (PID ${node.keeperPid}) exited. The end of ${consoleLog}:\n${logTail(consoleLog, { lines: 15, missing: "(no console output)" })}`,
      "fix what the console says, or run with --skip-teardown-on-failure to look at the cluster dir",
    );
  }
}
