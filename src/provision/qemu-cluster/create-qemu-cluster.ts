import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  statSync,
  truncateSync,
} from "node:fs";
import { join } from "node:path";
import { IMAGE_CACHE_LABEL } from "../../app/machined/storage/image-cache-label.ts";
import { serializeClientConfig } from "../../machinery/client/index.ts";
import { parsePatch } from "../../machinery/config/patch/parse-patch.ts";
import { SteleError } from "../../machinery/errors.ts";
import { serializeSecretsBundle } from "../../machinery/pki/index.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";
import { bringUpCluster, type ClusterCreateOptions } from "../cluster-flow/bring-up-cluster.ts";
import { generateClusterMaterial } from "../cluster-flow/cluster-material.ts";
import { logTail } from "../cluster-flow/log-tail.ts";
import { makeClusterDir } from "../cluster-flow/make-cluster-dir.ts";
import { refuseExistingCluster } from "../cluster-flow/refuse-existing-cluster.ts";
import type { ConnectClusterNodes, WaitHealthy } from "../container/cluster-node-api.ts";
import { isRunning } from "../container/host-processes.ts";
import type { Progress } from "../container/progress-reporter.ts";
import { runCommand } from "../container/run-command.ts";
import { waitUntil } from "../container/wait-until.ts";
import { type AcceleratorChoice, detectAccelerator } from "../qemu/detect-accelerator.ts";
import { steleEntry } from "../sandbox/keeper-command.ts";
import { CLUSTER_IMAGE_CACHE_DISK, CLUSTER_ROOTFS, clusterNodeDrives } from "./cluster-node-drives.ts";
import { destroyQemuCluster } from "./destroy-qemu-cluster.ts";
import { buildImageCacheDisk } from "./image-cache-disk.ts";
import { findOvmfFirmware } from "./ovmf-firmware.ts";
import type { QemuClusterPlan } from "./qemu-cluster-plan.ts";
import {
  asContainerPlan,
  asContainerState,
  initialQemuClusterState,
  type QemuClusterState,
  writeQemuClusterState,
} from "./qemu-cluster-state.ts";
import { createQemuNetwork } from "./qemu-network.ts";
import { type QemuNodeBoot, qemuNodeArgs } from "./qemu-node-args.ts";
import { swtpmArgs } from "./swtpm-args.ts";
import { ensureVmImages, type VmImages } from "./vm-images.ts";

/** Options of createQemuCluster. */
export interface CreateQemuClusterOptions extends ClusterCreateOptions {
  plan: QemuClusterPlan;
}

/** What createQemuCluster calls out to: the node API and health check are the CLI's. */
export interface CreateQemuClusterDependencies {
  connect: ConnectClusterNodes;
  waitHealthy?: WaitHealthy;
  ensureImages?: typeof ensureVmImages;
  detect?: (options: { kernel: string }) => Promise<AcceleratorChoice>;
  run?: typeof runCommand;
  qemuBinary?: string;
}

/** A created QEMU cluster: its recorded state and the context merged for it. */
export interface CreatedQemuCluster {
  state: QemuClusterState;
  context: string;
  renamedFrom?: string;
}

/**
 * Creates a local cluster of VMs and waits until it is healthy, in the container provisioner's
 * steps: refuse an existing cluster or a network in use; generate secrets and configs; build the
 * images; detect the accelerator; write the cluster dir (state file first, the image-cache disk
 * holding etcd's image that every VM gets read-only after its own disks, then per node its disks
 * — a sparse copy of the raw image grown to `--disk` for UEFI, or the squashfs read-only and an
 * empty data disk for direct boot — OVMF variables and TPM state); create the network namespace,
 * bridge, taps and host link; start the DHCP server in the namespace, each node's swtpm and QEMU
 * (PIDs recorded at once, for destroy). Every VM boots without a config, as bare metal does: each
 * one's config is applied through maintenance mode, pinned to the fingerprint it printed on its
 * serial console. Then apid over mutual TLS, Bootstrap on the first control plane, the health
 * wait, and the context merged. Any failure tears down what was made (unless skipTeardownOnFailure).
 */
export async function createQemuCluster(
  options: CreateQemuClusterOptions,
  dependencies: CreateQemuClusterDependencies,
): Promise<CreatedQemuCluster> {
  const { plan } = options;
  const progress = options.progress ?? (() => {});
  const run = dependencies.run ?? runCommand;
  await refuseToStart(plan, run, dependencies.qemuBinary ?? "qemu-system-x86_64");
  const firmware = plan.boot === "uefi" ? findOvmfFirmware() : undefined;

  const patches = options.patches ?? { common: [], controlPlane: [], worker: [] };
  const material = await generateClusterMaterial(asContainerPlan(plan), {
    // A directly booted VM runs from its squashfs disk and has nothing to install to: with an
    // install disk it does not have, maintenance-mode apply starts it instead of an installer.
    patches: plan.boot === "direct" ? { ...patches, common: [noInstallPatch(), ...patches.common] } : patches,
    progress,
  });

  progress(`building the ${plan.boot === "uefi" ? "raw disk image" : "kernel, initramfs and root image"}…`);
  const images = await (dependencies.ensureImages ?? ensureVmImages)({
    boot: plan.boot,
    outputDir: options.imagesDir,
    ...(options.imageCacheDir === undefined ? {} : { cacheDir: options.imageCacheDir }),
    onProgress: (message) => progress(`  ${message}`),
  });
  const accelerator = await (dependencies.detect ?? detectAccelerator)({ kernel: images.kernel });
  progress(`accelerator: ${accelerator.accelerator} (${accelerator.reason})`);

  const state: QemuClusterState = { ...initialQemuClusterState(plan), accelerator };
  const merged = await bringUpCluster(
    {
      state: asContainerState(state),
      async start() {
        writeClusterDir(state, {
          images,
          firmware,
          files: [
            { path: "secrets.yaml", content: serializeSecretsBundle(material.secrets) },
            { path: "controlplane.yaml", content: material.configs.controlplane },
            { path: "worker.yaml", content: material.configs.worker },
            { path: "stelectlconfig", content: serializeClientConfig(material.client) },
          ],
          progress,
        });

        progress(
          `creating the network: namespace ${plan.netns} (bridge, ${plan.nodes.length} tap${plan.nodes.length === 1 ? "" : "s"}), ${plan.hostLink} ${plan.gateway}/${plan.prefixLength} on the host`,
        );
        await createQemuNetwork(plan, { run });

        await startClusterProcesses(plan, state, {
          firmware,
          accelerator,
          qemuBinary: dependencies.qemuBinary ?? "qemu-system-x86_64",
          progress,
        });
      },
      assertRunning() {
        for (const node of state.nodes)
          assertRunning(
            node.qemuPid,
            `QEMU of ${node.name}`,
            join(node.nodeDir, "qemu.log"),
            join(node.nodeDir, "console.log"),
          );
      },
      maintenanceMessage:
        "waiting for every VM to show its maintenance-mode fingerprint on its serial console…",
      apply: { timeoutMs: 60_000, intervalMs: 1000 },
      bootstrapTimeoutMs: 120_000,
      recordContext(clientConfig) {
        state.clientConfig = clientConfig;
        writeQemuClusterState(state);
      },
      teardown: (teardownProgress) =>
        destroyQemuCluster(state, {
          clientConfigPath: options.clientConfigPath,
          progress: teardownProgress,
          run,
        }),
    },
    { ...options, material, connect: dependencies.connect, waitHealthy: dependencies.waitHealthy, progress },
  );
  return { state, ...merged };
}

/**
 * Starts what runs a QEMU cluster, each detached and its PID recorded in the state file at once
 * (for destroy): the DHCP server in the cluster's namespace, then per node its swtpm (when asked
 * for, awaited until it listens) and QEMU.
 */
async function startClusterProcesses(
  plan: QemuClusterPlan,
  state: QemuClusterState,
  options: {
    firmware: { code: string; vars: string } | undefined;
    accelerator: AcceleratorChoice;
    qemuBinary: string;
    progress: Progress;
  },
): Promise<void> {
  options.progress(`starting the DHCP server on ${plan.dhcpServerAddress}…`);
  state.dhcpServerPid = startDetached(
    "nsenter",
    [
      `--net=/run/netns/${plan.netns}`,
      "--",
      process.execPath,
      steleEntry(),
      "stelectl",
      "cluster",
      "dhcp-server",
      "--cluster-dir",
      plan.clusterDir,
    ],
    join(plan.clusterDir, "dhcp-server.log"),
  );
  writeQemuClusterState(state);

  options.progress(
    `starting ${plan.nodes.length} VM${plan.nodes.length === 1 ? "" : "s"} (${plan.memoryMiB} MiB, ${plan.boot} boot${plan.withTpm ? ", TPM" : ""})…`,
  );
  for (const node of state.nodes) {
    let tpmSocket: string | undefined;
    if (plan.withTpm) {
      tpmSocket = join(node.nodeDir, "swtpm.sock");
      node.swtpmPid = startDetached(
        "swtpm",
        swtpmArgs({
          stateDir: join(node.nodeDir, "tpm"),
          socket: tpmSocket,
          pidFile: join(node.nodeDir, "swtpm.pid"),
          logFile: join(node.nodeDir, "swtpm.log"),
        }),
        join(node.nodeDir, "swtpm.log"),
      );
      writeQemuClusterState(state);
      const socket = tpmSocket;
      await waitUntil(
        `swtpm of ${node.name} to listen on ${socket}`,
        async () => (existsSync(socket) ? true : undefined),
        {
          timeoutMs: 10_000,
          intervalMs: 50,
          precondition: () =>
            assertRunning(node.swtpmPid, `swtpm of ${node.name}`, join(node.nodeDir, "swtpm.log")),
        },
      );
    }
    const boot: QemuNodeBoot =
      plan.boot === "uefi"
        ? { kind: "uefi", code: options.firmware!.code, vars: join(node.nodeDir, "OVMF_VARS.fd") }
        : {
            kind: "direct",
            kernel: join(plan.clusterDir, "vmlinuz"),
            initrd: join(plan.clusterDir, "initramfs.zst"),
            append: [`ip=${node.address}::${plan.gateway}:${plan.netmask}::eth0:off`],
          };
    const args = qemuNodeArgs({
      name: node.name,
      accelerator: options.accelerator.accelerator,
      memoryMiB: plan.memoryMiB,
      boot,
      drives: clusterNodeDrives(plan.boot, { clusterDir: plan.clusterDir, nodeDir: node.nodeDir }),
      tap: node.tap,
      mac: node.mac,
      ...(tpmSocket === undefined ? {} : { tpmSocket }),
      consoleLog: join(node.nodeDir, "console.log"),
      pidFile: join(node.nodeDir, "qemu.pid"),
    });
    // nsenter execs QEMU in the cluster's namespace (no fork): the PID is QEMU's.
    node.qemuPid = startDetached(
      "nsenter",
      [`--net=/run/netns/${plan.netns}`, "--", options.qemuBinary, ...args],
      join(node.nodeDir, "qemu.log"),
    );
    writeQemuClusterState(state);
  }
}

/**
 * The patch that points `install.disk` at a disk a cluster VM never has (its disks are virtio:
 * vda, vdb…). A directly booted VM runs from its squashfs disk with no ESP to install from: with an
 * install disk that does not exist, maintenance-mode apply keeps the config in memory and starts
 * the node (metalInstaller), where a config without one would be refused on metal.
 */
function noInstallPatch() {
  return parsePatch('[{"op": "add", "path": "/install/disk", "value": "/dev/sda"}]', {
    source: "the direct-boot patch (an install disk the VM does not have)",
  });
}

/** Refuses before anything is made: not root, no QEMU, an existing cluster, or a network in use. */
async function refuseToStart(
  plan: QemuClusterPlan,
  run: typeof runCommand,
  qemuBinary: string,
): Promise<void> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new SteleError(
      "permission-denied",
      "Creating a QEMU cluster needs root: it makes a network namespace, a bridge and tap devices",
      "run it as root, e.g. with sudo",
    );
  }
  try {
    await run(qemuBinary, ["--version"]);
  } catch (error) {
    throw new SteleError(
      "failed-precondition",
      `QEMU is not usable: ${(error as Error).message}`,
      "install Debian's qemu-system-x86 package (apt-get install qemu-system-x86)",
    );
  }
  if (plan.withTpm) {
    try {
      await run("swtpm", ["--version"]);
    } catch (error) {
      throw new SteleError(
        "failed-precondition",
        `swtpm is not usable: ${(error as Error).message}`,
        "install Debian's swtpm package (apt-get install swtpm), or leave out --with-tpm",
      );
    }
  }
  await refuseExistingCluster(asContainerPlan(plan), {
    run,
    leftBehind: " (or a tap or link of that name exists)",
  });
}

/** The cluster dir: state file first (destroy's source of truth), images, secrets, configs, node dirs and disks. */
function writeClusterDir(
  state: QemuClusterState,
  parts: {
    images: VmImages;
    firmware: { code: string; vars: string } | undefined;
    files: Array<{ path: string; content: string }>;
    progress: Progress;
  },
): void {
  const dir = state.clusterDir;
  makeClusterDir(dir);
  writeQemuClusterState(state);
  writeFilesAtomically(
    parts.files.map((file) => ({ path: join(dir, file.path), content: file.content, mode: 0o600 })),
  );
  const diskBytes = state.diskGiB * 2 ** 30;
  if (state.boot === "direct") {
    parts.progress(`copying the kernel, initramfs and root image into ${dir}`);
    copyFileSync(parts.images.kernel, join(dir, "vmlinuz"), constants.COPYFILE_FICLONE);
    copyFileSync(parts.images.initramfs, join(dir, "initramfs.zst"), constants.COPYFILE_FICLONE);
    copyFileSync(parts.images.rootfs, join(dir, CLUSTER_ROOTFS), constants.COPYFILE_FICLONE);
  }
  // The VMs' containerd imports etcd from this disk: there is no registry to pull it from.
  const cache = join(dir, CLUSTER_IMAGE_CACHE_DISK);
  const cacheBytes = buildImageCacheDisk([parts.images.etcdImage], cache);
  parts.progress(
    `image cache ${cache} (ext4 ${IMAGE_CACHE_LABEL}, ${cacheBytes / 2 ** 20} MiB: etcd.oci.tar)`,
  );
  for (const node of state.nodes) {
    mkdirSync(node.nodeDir, { recursive: true, mode: 0o700 });
    if (state.boot === "uefi") {
      const raw = parts.images.raw!;
      const disk = join(node.nodeDir, "disk.raw");
      parts.progress(`${node.name}: disk ${disk} (sparse copy of ${raw}, ${state.diskGiB} GiB)`);
      copySparse(raw, disk);
      const size = statSync(disk).size;
      if (size > diskBytes) {
        throw new SteleError(
          "invalid-argument",
          `--disk ${state.diskGiB} is too small: the disk image ${raw} is ${(size / 2 ** 30).toFixed(2)} GiB`,
          `pass --disk ${Math.ceil(size / 2 ** 30)} or more`,
        );
      }
      truncateSync(disk, diskBytes);
      copyFileSync(parts.firmware!.vars, join(node.nodeDir, "OVMF_VARS.fd"));
    } else {
      const data = join(node.nodeDir, "data.raw");
      closeSync(openSync(data, "w", 0o600));
      truncateSync(data, diskBytes);
    }
    if (state.withTpm) mkdirSync(join(node.nodeDir, "tpm"), { mode: 0o700 });
  }
}

/** Copies a disk image keeping its holes: a fresh raw image is mostly zeros, and each node has its own copy. */
function copySparse(from: string, to: string): void {
  const result = spawnSync("cp", ["--sparse=always", "--reflink=auto", from, to], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new SteleError(
      "io",
      `Cannot copy ${from} to ${to}: ${result.stderr.trim() || `cp exited ${result.status}`}`,
      "check the free space of the state dir",
    );
  }
}

/**
 * Starts a long-lived process of the cluster detached from this one (its own session, output to
 * `logFile`), so the cluster outlives `stelectl cluster create`. Returns its PID.
 */
function startDetached(command: string, args: readonly string[], logFile: string): number {
  const fd = openSync(logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], { detached: true, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.on("error", () => {}); // reported through the liveness checks
  child.unref();
  if (child.pid === undefined) {
    throw new SteleError(
      "io",
      `Cannot start ${command}: it is not installed or not executable`,
      `install ${command}`,
    );
  }
  return child.pid;
}

/** Throws, with the end of its logs, as soon as a process of the cluster has exited. */
function assertRunning(pid: number | undefined, what: string, ...logs: string[]): void {
  if (pid === undefined || isRunning(pid)) return;
  throw new SteleError(
    "unavailable",
    `${what} (PID ${pid}) exited:\n${logs.map((log) => `${log}:\n${logTail(log, { lines: 15, missing: "(nothing)" })}`).join("\n")}`,
    "fix what the logs say, or run with --skip-teardown-on-failure to look at the cluster dir",
  );
}
