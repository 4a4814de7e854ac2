import { dirname } from "node:path";
import { Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import { parse } from "yaml";
import { MachineServiceClient } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionServiceClient } from "../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { type ClientContext, resolveClientConfigPath } from "../../machinery/client/index.ts";
import { parsePatch } from "../../machinery/config/patch/parse-patch.ts";
import type { Patch } from "../../machinery/config/patch/patch.ts";
import { parseDuration } from "../../machinery/duration.ts";
import { SteleError } from "../../machinery/errors.ts";
import {
  type ClusterCreateOptions,
  type ClusterNodeApi,
  type ClusterState,
  clusterStatus,
  clusterToDestroy,
  createCluster,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_CLUSTER_STATE_DIR,
  defaultImagesDir,
  destroyCluster,
  findLeftovers,
  type Progress,
  planCluster,
  progressReporter,
  readClusterState,
  type WaitHealthy,
} from "../../provision/container/index.ts";
import {
  asContainerState,
  createQemuCluster,
  destroyQemuCluster,
  planQemuCluster,
  type QemuClusterState,
  qemuClusterByName,
  qemuClusterStatus,
  qemuClusterToDestroy,
  qemuNetworkExists,
  runClusterDhcpServer,
} from "../../provision/qemu-cluster/index.ts";
import { certificateFingerprint } from "../client/apid-contract.ts";
import { mutualTlsCredentials, pinnedTlsCredentials } from "../client/channel-credentials.ts";
import { describeRpcError } from "../client/describe-rpc-error.ts";
import { endpointAddress } from "../client/endpoint-address.ts";
import { callUnary } from "../client/fan-out.ts";
import { fetchServerCertificate } from "../client/fetch-server-certificate.ts";
import { formatTable } from "../client/format-table.ts";
import { parseFingerprint } from "../client/parse-fingerprint.ts";
import { clientConfigPath } from "../client-config-file.ts";
import { collect, readPatchArgument } from "../input.ts";

/** What the lead wires into `cluster create`: the health check `stelectl health` runs. */
export interface ClusterCommandsOptions {
  waitHealthy?: WaitHealthy;
}

interface CreateOptions {
  name: string;
  controlplanes: string;
  workers: string;
  cidr: string;
  stateDir: string;
  configPatch: string[];
  configPatchControlPlane: string[];
  configPatchWorker: string[];
  kubernetesVersion?: string;
  imageDir?: string;
  waitTimeout: string;
  skipTeardownOnFailure: boolean;
  provisioner: string;
  memory?: string;
  disk?: string;
  boot?: string;
  withTpm?: boolean;
}

/** The flags only the QEMU provisioner takes: given to the container one, they are an error, not ignored. */
const QEMU_ONLY_FLAGS = [
  ["memory", "--memory"],
  ["disk", "--disk"],
  ["boot", "--boot"],
  ["withTpm", "--with-tpm"],
] as const;

/**
 * Registers `stelectl cluster create|show|destroy`: local clusters whose nodes are sandboxes of
 * namespaces on this machine, booted from the node image (the container platform).
 */
export function registerClusterCommands(program: Command, options: ClusterCommandsOptions = {}): void {
  const cluster = program
    .command("cluster")
    .description("Create, show and destroy local clusters whose nodes run in namespaces on this machine");

  cluster
    .command("create")
    .description("Create a local cluster, wait until it is healthy, and add a context for it")
    .option("--name <name>", "cluster name", DEFAULT_CLUSTER_NAME)
    .option("--controlplanes <count>", "number of control-plane nodes", "1")
    .option("--workers <count>", "number of worker nodes", "1")
    .option(
      "--cidr <network>",
      "private IPv4 network of the nodes (the bridge takes its first address)",
      DEFAULT_CLUSTER_CIDR,
    )
    .option("--state-dir <dir>", "where cluster directories are kept", DEFAULT_CLUSTER_STATE_DIR)
    .option(
      "--config-patch <patch>",
      "patch for all configs: @file or inline YAML/JSON (repeatable)",
      collect,
      [],
    )
    .option("--config-patch-control-plane <patch>", "patch for control planes only (repeatable)", collect, [])
    .option("--config-patch-worker <patch>", "patch for workers only (repeatable)", collect, [])
    .option("--kubernetes-version <version>", "Kubernetes version (one of the three this release supports)")
    .option(
      "--image-dir <dir>",
      "where the node image is built and cached (default: _out/images of the source tree)",
    )
    .option("--wait-timeout <duration>", "longest wait of each step (node start, apid, health)", "5m")
    .option("--skip-teardown-on-failure", "leave a failed cluster in place to debug it", false)
    .option("--provisioner <name>", "container (namespaces on this machine) or qemu (VMs)", "container")
    .option("--memory <MiB>", "qemu: RAM of each VM (default 1024)")
    .option("--disk <GiB>", "qemu: size of each VM's disk, sparse (default 6)")
    .option("--boot <how>", "qemu: uefi (OVMF, raw disk image; the default) or direct (kernel + initramfs)")
    .option("--with-tpm", "qemu: give each VM a TPM 2.0 (swtpm)")
    .action(async (flags: CreateOptions, command: Command) => {
      await create(flags, command, options);
    });

  cluster
    .command("show")
    .description("Show a local cluster's nodes and whether each runs")
    .option("--name <name>", "cluster name", DEFAULT_CLUSTER_NAME)
    .option("--state-dir <dir>", "where cluster directories are kept", DEFAULT_CLUSTER_STATE_DIR)
    .action((flags: { name: string; stateDir: string }) => {
      const qemu = qemuClusterToDestroy({ name: flags.name, stateDir: flags.stateDir });
      if (qemu) {
        showQemuCluster(qemu);
        return;
      }
      const plan = planCluster({ name: flags.name, stateDir: flags.stateDir, controlPlanes: 1, workers: 0 });
      const state = readClusterState(plan.clusterDir);
      if (!state) {
        throw new SteleError(
          "not-found",
          `No cluster ${flags.name}: ${plan.clusterDir} has no cluster.json`,
          "create one with `stelectl cluster create`, or pass the --name and --state-dir it was created with",
        );
      }
      process.stdout.write(`cluster ${state.name}  network ${state.cidr}  dir ${state.clusterDir}\n\n`);
      const rows = clusterStatus(state).map((node) => [
        node.name,
        node.role,
        node.address,
        node.keeperPid === undefined ? "-" : String(node.keeperPid),
        node.nodePid === undefined ? "-" : String(node.nodePid),
        node.running ? "running" : "stopped",
      ]);
      process.stdout.write(
        formatTable([["NAME", "ROLE", "ADDRESS", "KEEPER PID", "NODE PID", "STATE"], ...rows]),
      );
    });

  cluster
    .command("destroy")
    .description("Stop a local cluster's nodes and remove everything it made")
    .option("--name <name>", "cluster name", DEFAULT_CLUSTER_NAME)
    .option("--state-dir <dir>", "where cluster directories are kept", DEFAULT_CLUSTER_STATE_DIR)
    .option("--keep-state", "keep the cluster directory (configs, secrets, console logs)", false)
    .action(async (flags: { name: string; stateDir: string; keepState: boolean }, command: Command) => {
      requireRoot("Destroying a local cluster");
      const qemu = qemuClusterToDestroy({ name: flags.name, stateDir: flags.stateDir });
      const { state, recorded } = clusterToDestroy({ name: flags.name, stateDir: flags.stateDir });
      const qemuByName = qemuClusterByName({ name: flags.name, stateDir: flags.stateDir });
      if (qemu || (!recorded && (await qemuNetworkExists(qemuByName)))) {
        const progress = progressReporter();
        await destroyQemuCluster(qemu ?? qemuByName, {
          keepState: flags.keepState,
          clientConfigPath: clientConfigPath(command),
          progress,
        });
        progress(
          `destroyed cluster ${flags.name}${flags.keepState ? ` (kept ${(qemu ?? qemuByName).clusterDir})` : ""}`,
        );
        return;
      }
      if (!recorded && (await findLeftovers(state)).length === 0) {
        process.stderr.write(`cluster ${flags.name}: nothing to destroy (nothing of it on this host)\n`);
        return;
      }
      const progress = progressReporter();
      await destroyCluster(state, {
        keepState: flags.keepState,
        clientConfigPath: clientConfigPath(command),
        progress,
      });
      progress(`destroyed cluster ${state.name}${flags.keepState ? ` (kept ${state.clusterDir})` : ""}`);
    });

  // The QEMU cluster's DHCP server, started detached by create inside the cluster's network namespace.
  cluster
    .command("dhcp-server", { hidden: true })
    .description("Serve the DHCP reservations of a QEMU cluster (started by cluster create)")
    .requiredOption("--cluster-dir <dir>", "the cluster's directory")
    .action(async (flags: { clusterDir: string }) => {
      await runClusterDhcpServer({ clusterDir: flags.clusterDir });
    });
}

/** `cluster show` of a QEMU cluster: its network, accelerator and VMs. */
function showQemuCluster(state: QemuClusterState): void {
  const accelerator = state.accelerator ? `  accelerator ${state.accelerator.accelerator}` : "";
  process.stdout.write(
    `cluster ${state.name}  provisioner qemu (${state.boot} boot, ${state.memoryMiB} MiB${state.withTpm ? ", TPM" : ""})${accelerator}  network ${state.cidr}  dir ${state.clusterDir}\n\n`,
  );
  const rows = qemuClusterStatus(state).map((node) => [
    node.name,
    node.role,
    node.address,
    node.mac,
    node.qemuPid === undefined ? "-" : String(node.qemuPid),
    node.running ? "running" : "stopped",
  ]);
  process.stdout.write(formatTable([["NAME", "ROLE", "ADDRESS", "MAC", "QEMU PID", "STATE"], ...rows]));
}

async function create(
  flags: CreateOptions,
  command: Command,
  options: ClusterCommandsOptions,
): Promise<void> {
  if (flags.provisioner === "qemu") {
    await createQemu(flags, command, options);
    return;
  }
  if (flags.provisioner !== "container") {
    throw new SteleError(
      "invalid-argument",
      `Invalid --provisioner ${JSON.stringify(flags.provisioner)}: expected container or qemu`,
      "use --provisioner container (namespaces on this machine) or --provisioner qemu (VMs)",
    );
  }
  for (const [key, flag] of QEMU_ONLY_FLAGS) {
    if (flags[key] !== undefined) {
      throw new SteleError(
        "invalid-argument",
        `${flag} is a flag of the qemu provisioner: the container provisioner's nodes are not VMs`,
        `add --provisioner qemu, or leave out ${flag}`,
      );
    }
  }
  // Every flag is checked before anything is built or made.
  const plan = planCluster({
    name: flags.name,
    controlPlanes: flags.controlplanes,
    workers: flags.workers,
    cidr: flags.cidr,
    stateDir: flags.stateDir,
    kubernetesVersion: flags.kubernetesVersion,
  });
  await runCreate(flags, command, async (createOptions) => {
    const created = await createCluster(
      { ...createOptions, plan },
      { connect: connectClusterNodes, ...(options.waitHealthy ? { waitHealthy: options.waitHealthy } : {}) },
    );
    return { state: created.state, context: created.context };
  });
}

/** `cluster create --provisioner qemu`: the same steps and summary as the container path, with VMs. */
async function createQemu(
  flags: CreateOptions,
  command: Command,
  options: ClusterCommandsOptions,
): Promise<void> {
  const plan = planQemuCluster({
    name: flags.name,
    controlPlanes: flags.controlplanes,
    workers: flags.workers,
    cidr: flags.cidr,
    stateDir: flags.stateDir,
    kubernetesVersion: flags.kubernetesVersion,
    memory: flags.memory,
    disk: flags.disk,
    boot: flags.boot,
    withTpm: flags.withTpm ?? false,
  });
  await runCreate(flags, command, async (createOptions) => {
    const created = await createQemuCluster(
      { ...createOptions, plan },
      { connect: connectClusterNodes, ...(options.waitHealthy ? { waitHealthy: options.waitHealthy } : {}) },
    );
    const accelerator = created.state.accelerator;
    return {
      state: asContainerState(created.state),
      context: created.context,
      note: `VMs: ${plan.boot} boot, ${plan.memoryMiB} MiB each${plan.withTpm ? ", TPM 2.0" : ""}; accelerator: ${accelerator ? `${accelerator.accelerator} (${accelerator.reason})` : "unknown"}; consoles: ${plan.clusterDir}/nodes/*/console.log`,
    };
  });
}

/** What a provisioner's create gives the summary: the cluster, its context, and a line of its own. */
interface CreatedForSummary {
  state: ClusterState;
  context: string;
  /** Printed before the client context line (the QEMU provisioner's VMs and accelerator). */
  note?: string;
}

/**
 * The part of `cluster create` both provisioners share, once the plan is checked: the wait timeout
 * and patches read from the flags, Ctrl-C and SIGTERM turned into an abort (create then tears down
 * what it made), and, once `createWith` resolves, the healthy line and the summary.
 */
async function runCreate(
  flags: CreateOptions,
  command: Command,
  createWith: (
    options: ClusterCreateOptions & { progress: Progress; signal: AbortSignal },
  ) => Promise<CreatedForSummary>,
): Promise<void> {
  const waitTimeoutMs = parseDuration(flags.waitTimeout, { label: "--wait-timeout" });
  const aborter = new AbortController();
  const interrupt = () => aborter.abort();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const progress = progressReporter();
  try {
    const created = await createWith({
      patches: {
        common: readPatches(flags.configPatch, "--config-patch"),
        controlPlane: readPatches(flags.configPatchControlPlane, "--config-patch-control-plane"),
        worker: readPatches(flags.configPatchWorker, "--config-patch-worker"),
      },
      clientConfigPath: clientConfigPath(command),
      imagesDir: flags.imageDir ?? defaultImagesDir(),
      waitTimeoutMs,
      skipTeardownOnFailure: flags.skipTeardownOnFailure,
      signal: aborter.signal,
      progress,
    });
    progress(`cluster ${created.state.name} is healthy`);
    const configPath = clientConfigPath(command);
    const configFlag = configPath === resolveClientConfigPath() ? "" : ` --stelectlconfig ${configPath}`;
    process.stdout.write(
      summary(created.state, {
        context: created.context,
        configFlag,
        ...(created.note === undefined ? {} : { note: created.note }),
      }),
    );
  } finally {
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
  }
}

/** The patches of one `--config-patch*` flag, each read (@file or inline) and parsed. */
function readPatches(list: string[], flag: string): Patch[] {
  return list.map((argument) => {
    const { text, source } = readPatchArgument(argument, flag);
    return parsePatch(text, { source });
  });
}

/** The closing summary of create: the nodes, then what to try next. */
function summary(
  state: ClusterState,
  options: { context: string; configFlag: string; note?: string },
): string {
  const stelectl = `stelectl${options.configFlag} --context ${options.context}`;
  const table = formatTable([
    ["NAME", "ROLE", "ADDRESS"],
    ...state.nodes.map((node) => [node.name, node.role, node.address]),
  ]);
  const stateDir = dirname(state.clusterDir);
  const defaultStateDir = dirname(planCluster({ controlPlanes: 1, workers: 0 }).clusterDir);
  const stateDirFlag = stateDir === defaultStateDir ? "" : ` --state-dir ${stateDir}`;
  return [
    "",
    table.trimEnd(),
    "",
    `endpoints: ${state.nodes
      .filter((n) => n.role === "controlplane")
      .map((n) => n.address)
      .join(", ")} (apid, port 50000); Kubernetes API: ${state.endpoint}`,
    ...(options.note === undefined ? [] : [options.note]),
    `client context: ${options.context} (current); cluster files: ${state.clusterDir}`,
    "",
    "next:",
    `  ${stelectl} health`,
    `  ${stelectl} get members`,
    `  ${stelectl} dashboard`,
    `  stelectl${options.configFlag} cluster destroy --name ${state.name}${stateDirFlag}`,
    "",
  ].join("\n");
}

function requireRoot(what: string): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new SteleError(
      "permission-denied",
      `${what} needs root: it removes network namespaces, mounts and cgroups`,
      "run it as root, e.g. with sudo",
    );
  }
}

/** Each call gives up after this long: a node that is still starting is tried again by the caller. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * The node API of `cluster create`, built on the same client code as the node commands: mutual TLS
 * with the cluster's admin context to each node directly, and for maintenance mode the steps of
 * `apply-config --insecure --cert-fingerprint` (fetch the certificate, compare its fingerprint,
 * send over a connection that trusts that certificate alone).
 */
export function connectClusterNodes(context: ClientContext): ClusterNodeApi {
  const credentials = mutualTlsCredentials(context);
  const clients = new Map<
    string,
    { machine: MachineServiceClient; version: VersionServiceClient; resource: ResourceServiceClient }
  >();
  const clientsOf = (address: string) => {
    const endpoint = endpointAddress(address);
    let found = clients.get(endpoint);
    if (!found) {
      const machine = new MachineServiceClient(endpoint, credentials);
      const shared = { channelOverride: machine.getChannel() };
      found = {
        machine,
        version: new VersionServiceClient(endpoint, credentials, shared),
        resource: new ResourceServiceClient(endpoint, credentials, shared),
      };
      clients.set(endpoint, found);
    }
    return found;
  };
  const call = async <T>(address: string, run: () => Promise<T>): Promise<T> => {
    const endpoint = endpointAddress(address);
    try {
      return await withTimeout(run(), endpoint);
    } catch (error) {
      throw describeRpcError(error, { endpoint, context });
    }
  };
  return {
    async applyConfigInsecure(address, { fingerprint, config }) {
      const endpoint = endpointAddress(address);
      const pinned = parseFingerprint(fingerprint);
      const presented = await fetchServerCertificate(endpoint, { timeoutMs: 5000 });
      const actual = certificateFingerprint(presented);
      if (actual !== pinned) {
        throw new SteleError(
          "unauthenticated",
          `The node at ${endpoint} presented certificate fingerprint ${actual}, not ${pinned} from its console`,
          "another process answers on the node's address; nothing was sent",
        );
      }
      const machine = new MachineServiceClient(endpoint, pinnedTlsCredentials(presented));
      try {
        await withTimeout(
          callUnary(machine, "applyConfiguration", {
            request: { data: Buffer.from(config), mode: "APPLY_MODE_AUTO", dryRun: false },
            metadata: new Metadata(),
          }),
          endpoint,
        );
      } catch (error) {
        throw describeRpcError(error, { endpoint });
      } finally {
        machine.close();
      }
    },
    async version(address) {
      const replies = await call(address, () =>
        callUnary(clientsOf(address).version, "version", { request: {}, metadata: new Metadata() }),
      );
      return replies[0]?.version?.tag ?? "";
    },
    async bootstrap(address) {
      await call(address, () =>
        callUnary(clientsOf(address).machine, "bootstrap", {
          request: { recoverEtcd: false, recoverSkipHashCheck: false },
          metadata: new Metadata(),
        }),
      );
    },
    async machineStatus(address) {
      const replies = await call(address, () =>
        callUnary(clientsOf(address).resource, "get", {
          request: { namespace: "", type: "MachineStatuses.runtime.stele.dev", id: "machine" },
          metadata: new Metadata(),
        }),
      );
      const yaml = replies[0]?.resource?.spec?.yaml;
      const spec = (yaml === undefined ? {} : parse(Buffer.from(yaml).toString("utf8"))) as {
        stage?: unknown;
        ready?: unknown;
        unmetConditions?: Array<{ name?: unknown; reason?: unknown }>;
      };
      return {
        stage: String(spec.stage ?? "unknown"),
        ready: spec.ready === true,
        unmet: (spec.unmetConditions ?? []).map(
          (c) => `${String(c.name)}${c.reason ? ` (${String(c.reason)})` : ""}`,
        ),
      };
    },
    close() {
      for (const { machine } of clients.values()) machine.close();
      clients.clear();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, endpoint: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new SteleError("unavailable", `No answer from ${endpoint} within ${CALL_TIMEOUT_MS / 1000}s`)),
      CALL_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
