import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { resolveKubernetesVersion } from "../../machinery/config/kubernetes-version.ts";
import { KUBE_APISERVER_PORT } from "../../machinery/constants.ts";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { cidrSize, formatCidr, formatIpv4, parseIpv4Cidr } from "./ipv4-cidr.ts";
import { clusterLinkNames, MAX_LINK_NAME_LENGTH } from "./link-names.ts";

/** The cluster name `stelectl cluster create` uses when none is given. */
export const DEFAULT_CLUSTER_NAME = "stele-local";

/** The private network of a cluster unless `--cidr` says otherwise. */
export const DEFAULT_CLUSTER_CIDR = "10.5.0.0/24";

/** Where cluster directories live unless `--state-dir` says otherwise (`~` is the user's home). */
export const DEFAULT_CLUSTER_STATE_DIR = "~/.stele/clusters";

/** More nodes than this on one machine is a typo, not a cluster. */
export const MAX_CLUSTER_NODES = 1000;

/** A node's role, as the machine config's `type` names it. */
export type NodeRole = "controlplane" | "worker";

/** One node of a planned cluster: its names, address and places on the host. */
export interface PlannedNode {
  /** `<cluster>-controlplane-N` or `<cluster>-worker-N`: also its hostname. */
  name: string;
  role: NodeRole;
  /** Its IPv4 address on the cluster network (no prefix). */
  address: string;
  /** Network namespace, `stele-<cluster>-<node>`. */
  netns: string;
  /** The host end of its veth pair, on the bridge; the node end is `eth0` in the netns. */
  hostVeth: string;
  /** Its cgroup, `/stele/<cluster>/<node>`, in every hierarchy. */
  cgroup: string;
  /** The node dir: `state/`, `var/`, `root/`, `console.log`, `keeper.pid`, `node.pid`. */
  nodeDir: string;
  /** Whether it boots without a config and gets one through maintenance mode, as bare metal does. */
  maintenance: boolean;
}

/** Everything `cluster create` will make, decided before anything is made. */
export interface ClusterPlan {
  name: string;
  /** `<state dir>/<name>`, absolute. */
  clusterDir: string;
  /** The cluster network, normalised (`10.5.0.0/24`). */
  cidr: string;
  prefixLength: number;
  /** The host side of the cluster network: a bridge holding the network's first address. */
  bridge: { name: string; address: string };
  /** Every link of the cluster starts with this: teardown finds them even without cluster.json. */
  linkPrefix: string;
  /** Control planes first, then workers. */
  nodes: PlannedNode[];
  /** The Kubernetes API endpoint in the configs: `https://<first control plane>:6443`. */
  endpoint: string;
  /** The Kubernetes version the configs pin, resolved (`1.37.1`). */
  kubernetesVersion: string | undefined;
}

/** The flags of `cluster create` that shape the plan, as given (commander hands numbers over as text). */
export interface ClusterPlanOptions {
  name?: string | undefined;
  controlPlanes?: number | string | undefined;
  workers?: number | string | undefined;
  cidr?: string | undefined;
  stateDir?: string | undefined;
  kubernetesVersion?: string | undefined;
  /** The home directory `~` expands to; the user's by default. */
  home?: string | undefined;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Decides a cluster's nodes, names, addresses and host-side links from the flags of
 * `stelectl cluster create`, without touching the machine, so that every mistake in the flags is
 * found before anything is created, and each is reported naming the flag and the value. Addresses:
 * the bridge takes the network's first address, nodes the next ones, control planes first. The node
 * booted through maintenance mode is the last worker, or the last control plane when there is none.
 */
export function planCluster(options: ClusterPlanOptions = {}): ClusterPlan {
  const name = options.name ?? DEFAULT_CLUSTER_NAME;
  const controlPlanes = count(options.controlPlanes ?? 1, { flag: "--controlplanes", min: 1 });
  const workers = count(options.workers ?? 1, { flag: "--workers", min: 0 });
  const total = controlPlanes + workers;
  if (total > MAX_CLUSTER_NODES) {
    throw new SteleError(
      "invalid-argument",
      `Too many nodes: --controlplanes ${controlPlanes} and --workers ${workers} make ${total}, more than ${MAX_CLUSTER_NODES}`,
      "one machine runs a few nodes; lower --controlplanes or --workers",
    );
  }
  const longestNode = `${name}-controlplane-${Math.max(controlPlanes, workers)}`;
  if (!DNS_LABEL.test(name) || longestNode.length > 63) {
    throw new SteleError(
      "invalid-argument",
      `Invalid --name ${JSON.stringify(name)}: expected a DNS label (lowercase letters, digits and '-') short enough that node names like ${longestNode} stay within 63 characters`,
      "choose a name such as `dev` or `stele-local`",
    );
  }
  const cidrText = options.cidr ?? DEFAULT_CLUSTER_CIDR;
  const cidr = parseIpv4Cidr(cidrText, { flag: "--cidr" });
  // Network and broadcast addresses are not given out; a /31 or /32 has room for nothing.
  const hosts = Math.max(0, cidrSize(cidr) - 2);
  if (hosts < total + 1) {
    throw new SteleError(
      "invalid-argument",
      `--cidr ${cidrText} is too small: it has room for ${hosts} host address${hosts === 1 ? "" : "es"}, the bridge and ${total} node${total === 1 ? "" : "s"} need ${total + 1}`,
      `pass a larger network, e.g. --cidr ${formatIpv4(cidr.network)}/${prefixFor(total + 1)}`,
    );
  }
  const kubernetesVersion =
    options.kubernetesVersion === undefined ? undefined : kubernetesVersionFlag(options.kubernetesVersion);
  const home = options.home ?? homedir();
  const stateDirText = options.stateDir ?? DEFAULT_CLUSTER_STATE_DIR;
  const stateDir = resolve(
    stateDirText === "~"
      ? home
      : stateDirText.startsWith("~/")
        ? join(home, stateDirText.slice(2))
        : stateDirText,
  );
  const clusterDir = join(stateDir, name);
  const links = clusterLinkNames(name);

  const roles: Array<[NodeRole, number]> = [
    ...Array.from({ length: controlPlanes }, (_, i): [NodeRole, number] => ["controlplane", i + 1]),
    ...Array.from({ length: workers }, (_, i): [NodeRole, number] => ["worker", i + 1]),
  ];
  const nodes = roles.map(([role, index], i): PlannedNode => {
    const nodeName = `${name}-${role}-${index}`;
    const hostVeth = links.hostVeth(i + 1);
    if (hostVeth.length > MAX_LINK_NAME_LENGTH) throw new Error(`link name ${hostVeth} is too long`);
    return {
      name: nodeName,
      role,
      address: formatIpv4(cidr.network + 2 + i),
      netns: `stele-${name}-${nodeName}`,
      hostVeth,
      cgroup: `/stele/${name}/${nodeName}`,
      nodeDir: join(clusterDir, "nodes", nodeName),
      maintenance: i === total - 1,
    };
  });
  return {
    name,
    clusterDir,
    cidr: formatCidr(cidr),
    prefixLength: cidr.prefixLength,
    bridge: { name: links.bridge, address: formatIpv4(cidr.network + 1) },
    linkPrefix: links.prefix,
    nodes,
    endpoint: `https://${nodes[0]!.address}:${KUBE_APISERVER_PORT}`,
    kubernetesVersion,
  };
}

/** Reads a node count flag: a whole number of at least `min`. */
function count(value: number | string, options: { flag: string; min: number }): number {
  const text = String(value).trim();
  const parsed = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(parsed >= options.min)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid ${options.flag} ${JSON.stringify(String(value))}: expected a whole number of at least ${options.min}`,
      `e.g. ${options.flag} ${options.min === 0 ? 0 : 3}`,
    );
  }
  return parsed;
}

/** resolveKubernetesVersion, with the flag named in the message. */
function kubernetesVersionFlag(version: string): string {
  try {
    return resolveKubernetesVersion(version);
  } catch (error) {
    if (isSteleError(error)) {
      throw new SteleError(
        error.code,
        `Invalid --kubernetes-version ${JSON.stringify(version)}: ${error.message}`,
        error.hint,
      );
    }
    throw error;
  }
}

/** The longest prefix whose network has room for `hosts` host addresses. */
function prefixFor(hosts: number): number {
  let prefix = 30;
  while (prefix > 0 && 2 ** (32 - prefix) - 2 < hosts) prefix--;
  return prefix;
}
