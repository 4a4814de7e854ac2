import { join } from "node:path";
import { SteleError } from "../../machinery/errors.ts";
import { type ClusterPlan, type ClusterPlanOptions, planCluster } from "../container/cluster-plan.ts";
import { cidrSize, formatIpv4, parseIpv4, parseIpv4Cidr } from "../container/ipv4-cidr.ts";
import { nodeMac } from "./node-mac.ts";

/** How a VM boots: OVMF from a copy of the raw disk image, or QEMU's `-kernel`/`-initrd`. */
export type QemuBoot = "uefi" | "direct";

/** RAM of each VM unless `--memory` says otherwise: what a control plane needs with etcd. */
export const DEFAULT_VM_MEMORY_MIB = 1024;
/** The smallest `--memory`: a worker boots and serves its API in 512 MiB (issue 5's goal). */
export const MIN_VM_MEMORY_MIB = 512;
/** More than this per VM is a typo on a machine of this size. */
export const MAX_VM_MEMORY_MIB = 65_536;
/** Size of each VM's disk unless `--disk` says otherwise (GiB, sparse: only what is written is used). */
export const DEFAULT_VM_DISK_GIB = 6;
/** The largest `--disk`: the files are sparse, but a typo of 6000 should still be caught. */
export const MAX_VM_DISK_GIB = 1024;

/** One VM of a planned QEMU cluster. */
export interface QemuPlannedNode {
  name: string;
  role: "controlplane" | "worker";
  /** Its address, handed to it by the cluster's DHCP server (or `ip=` on the kernel command line). */
  address: string;
  /** Its NIC's MAC, derived from the cluster and node names (nodeMac). */
  mac: string;
  /** Its tap device, inside the cluster's network namespace, on the bridge there. */
  tap: string;
  /** `console.log`, `qemu.pid`, disks, OVMF vars, TPM state. */
  nodeDir: string;
}

/** Everything `cluster create --provisioner qemu` will make, decided before anything is made. */
export interface QemuClusterPlan {
  provisioner: "qemu";
  name: string;
  clusterDir: string;
  cidr: string;
  prefixLength: number;
  /** The network's mask, for DHCP and `ip=`. */
  netmask: string;
  /**
   * The cluster's network namespace: the bridge, the taps and the DHCP server live there, and QEMU
   * runs in it (a tap is created in the namespace of the process that opens it).
   */
  netns: string;
  /** The bridge inside the namespace (a private name: the namespace is the cluster's alone). */
  bridge: string;
  /** The DHCP server's address on the bridge: the network's last host address. */
  dhcpServerAddress: string;
  /**
   * The host's side: a veth pair whose host end (`hostLink`) holds `gateway`, the network's first
   * address, and whose other end is on the bridge. The host reaches the nodes' API over it; nodes
   * reach each other over the bridge; there is no NAT and no route beyond, so nothing leaves.
   */
  hostLink: string;
  gateway: string;
  /** Every host link of the cluster starts with this (`st<hash>`), as in the container provisioner. */
  linkPrefix: string;
  nodes: QemuPlannedNode[];
  endpoint: string;
  kubernetesVersion: string | undefined;
  boot: QemuBoot;
  memoryMiB: number;
  diskGiB: number;
  withTpm: boolean;
}

/** The flags of `cluster create --provisioner qemu`: the container's, plus the VMs'. */
export interface QemuClusterPlanOptions extends ClusterPlanOptions {
  memory?: number | string | undefined;
  disk?: number | string | undefined;
  boot?: string | undefined;
  withTpm?: boolean | undefined;
}

/**
 * Plans a QEMU cluster from the flags, without touching the machine: names, addresses and state
 * dir as the container provisioner plans them (same flags, same rules, same messages), then the
 * VMs' parts: a MAC and a tap per node, the cluster's network namespace and host link, the DHCP
 * server's address (the network's last host address, so it needs one address more than the
 * container provisioner), and `--memory`, `--disk`, `--boot`, `--with-tpm` checked and named in
 * any error.
 */
export function planQemuCluster(options: QemuClusterPlanOptions = {}): QemuClusterPlan {
  const base: ClusterPlan = planCluster(options);
  const boot = bootFlag(options.boot ?? "uefi");
  const memoryMiB = sizeFlag(options.memory ?? DEFAULT_VM_MEMORY_MIB, {
    flag: "--memory",
    unit: "MiB",
    min: MIN_VM_MEMORY_MIB,
    max: MAX_VM_MEMORY_MIB,
    example: "--memory 1024",
  });
  const diskGiB = sizeFlag(options.disk ?? DEFAULT_VM_DISK_GIB, {
    flag: "--disk",
    unit: "GiB",
    min: 1,
    max: MAX_VM_DISK_GIB,
    example: `--disk ${DEFAULT_VM_DISK_GIB}`,
  });
  const cidr = parseIpv4Cidr(base.cidr, { flag: "--cidr" });
  const lastHost = cidr.network + cidrSize(cidr) - 2;
  const dhcpServerAddress = formatIpv4(lastHost);
  if (base.nodes.some((node) => parseIpv4(node.address)! >= lastHost)) {
    throw new SteleError(
      "invalid-argument",
      `--cidr ${options.cidr ?? base.cidr} is too small: the host, ${base.nodes.length} node${base.nodes.length === 1 ? "" : "s"} and the cluster's DHCP server need ${base.nodes.length + 2} host addresses`,
      "pass a larger network, e.g. --cidr 10.5.0.0/24",
    );
  }
  const mask = cidr.prefixLength === 0 ? 0 : (0xffffffff - (2 ** (32 - cidr.prefixLength) - 1)) >>> 0;
  return {
    provisioner: "qemu",
    name: base.name,
    clusterDir: base.clusterDir,
    cidr: base.cidr,
    prefixLength: base.prefixLength,
    netmask: formatIpv4(mask),
    netns: `stele-${base.name}`,
    bridge: "br0",
    dhcpServerAddress,
    hostLink: `${base.linkPrefix}h`,
    gateway: base.bridge.address,
    linkPrefix: base.linkPrefix,
    nodes: base.nodes.map((node, i) => ({
      name: node.name,
      role: node.role,
      address: node.address,
      mac: nodeMac(base.name, node.name),
      tap: `tap${i + 1}`,
      nodeDir: join(base.clusterDir, "nodes", node.name),
    })),
    endpoint: base.endpoint,
    kubernetesVersion: base.kubernetesVersion,
    boot,
    memoryMiB,
    diskGiB,
    withTpm: options.withTpm ?? false,
  };
}

function bootFlag(value: string): QemuBoot {
  if (value === "uefi" || value === "direct") return value;
  throw new SteleError(
    "invalid-argument",
    `Invalid --boot ${JSON.stringify(value)}: expected uefi or direct`,
    "use --boot uefi (OVMF and the raw disk image) or --boot direct (QEMU loads the kernel and initramfs)",
  );
}

function sizeFlag(
  value: number | string,
  options: { flag: string; unit: string; min: number; max: number; example: string },
): number {
  const text = String(value).trim();
  const parsed = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(parsed >= options.min && parsed <= options.max)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid ${options.flag} ${JSON.stringify(String(value))}: expected a whole number of ${options.unit} from ${options.min} to ${options.max}`,
      `e.g. ${options.example}`,
    );
  }
  return parsed;
}
