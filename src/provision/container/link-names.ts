import { createHash } from "node:crypto";

/** The longest name Linux gives a network interface (IFNAMSIZ 16, with the NUL). */
export const MAX_LINK_NAME_LENGTH = 15;

/** The bridge and host-side veth names of one cluster. */
export interface ClusterLinkNames {
  /** The prefix every link of the cluster starts with: finds them all, even without cluster.json. */
  prefix: string;
  bridge: string;
  /** The host end of the veth pair of the node with this position (1-based, in plan order). */
  hostVeth(position: number): string;
}

/**
 * Names of a cluster's host-side links, derived from a short hash of the cluster name, because
 * interface names hold at most 15 characters and cluster names up to 63: `st` + 7 hex digits,
 * then `br` for the bridge or `v<N>` for a node's veth (up to 5 digits). 28 bits of hash keep two
 * clusters apart in practice; create refuses to reuse a name that exists anyway.
 */
export function clusterLinkNames(clusterName: string): ClusterLinkNames {
  const prefix = `st${createHash("sha256").update(clusterName).digest("hex").slice(0, 7)}`;
  return {
    prefix,
    bridge: `${prefix}br`,
    hostVeth: (position) => `${prefix}v${position}`,
  };
}
