import { isSteleError } from "../../machinery/errors.ts";
import type { ClockReading, EtcdMemberEntry, HealthSource } from "./health-source.ts";

/** A node the checks look at: its address as stelectl routes to it, and its role. */
export interface HealthNode {
  readonly address: string;
  readonly machineType: "controlplane" | "worker" | "unknown";
}

/** What a check sees: the nodes, the source, and the hostnames the apid check learned. */
export interface HealthCheckContext {
  readonly nodes: readonly HealthNode[];
  readonly source: HealthSource;
  /** Node address → the hostname its replies carry; filled by the apid check. */
  readonly hostnames: Map<string, string>;
}

/** One check: what is awaited, and a run that resolves when it holds or throws why not. */
export interface HealthCheck {
  /** Short name for the summary, e.g. `etcd-members`. */
  readonly id: string;
  /** What is waited for, as in "waiting for <description>". */
  readonly description: string;
  run(context: HealthCheckContext): Promise<void>;
}

/** The etcd members each control plane reported, by node address. */
export type EtcdMembersView = ReadonlyMap<string, readonly EtcdMemberEntry[]>;

/** How far a node's clock may be from this machine's, beyond half the round trip. */
export const MAX_CLOCK_SKEW_MS = 5_000;

/** Why a check does not hold (yet): the message says which nodes and what is wrong with each. */
export class HealthCheckFailure extends Error {
  override name = "HealthCheckFailure";
}

/**
 * The checks of `stelectl health`, in the order they are awaited: each assumes the ones before it
 * hold (a node whose apid is down cannot report its etcd).
 */
export const HEALTH_CHECKS: readonly HealthCheck[] = [
  {
    id: "apid",
    description: "apid to be reachable on every node",
    async run({ nodes, source, hostnames }) {
      await perNode(nodes, async (node) => {
        hostnames.set(node.address, await source.hostname(node.address));
      });
    },
  },
  {
    id: "ready",
    description: "every node to be booted and ready",
    async run({ nodes, source }) {
      await perNode(nodes, async (node) => {
        const status = await source.machineStatus(node.address);
        if (status.stage === "running" && status.ready) return;
        const unmet = status.unmetConditions.map((c) => `${c.name} (${c.reason})`).join(", ");
        throw new HealthCheckFailure(`stage ${status.stage}, not ready${unmet ? `: unmet ${unmet}` : ""}`);
      });
    },
  },
  {
    id: "etcd",
    description: "etcd to be healthy on every control plane",
    async run({ nodes, source }) {
      await perNode(controlPlanes(nodes), async (node) => {
        const status = await source.etcdStatus(node.address);
        if (status.errors.length > 0)
          throw new HealthCheckFailure(`etcd reports: ${status.errors.join(", ")}`);
      });
    },
  },
  {
    id: "etcd-members",
    description: "etcd members to be consistent across control planes and to match them",
    async run({ nodes, source, hostnames }) {
      const planes = controlPlanes(nodes);
      const views = new Map<string, EtcdMemberEntry[]>();
      await perNode(planes, async (node) => {
        views.set(node.address, await source.etcdMembers(node.address));
      });
      const problem = etcdMembersProblem(
        views,
        planes.map((node) => ({ address: node.address, hostname: hostnames.get(node.address) })),
      );
      if (problem !== undefined) throw new HealthCheckFailure(problem);
    },
  },
  {
    id: "time",
    description: `the nodes' clocks to be within ${MAX_CLOCK_SKEW_MS / 1000} s of this machine's`,
    async run({ nodes, source }) {
      await perNode(nodes, async (node) => {
        const problem = clockProblem(await source.clock(node.address));
        if (problem !== undefined) throw new HealthCheckFailure(problem);
      });
    },
  },
];

/** Why the Kubernetes checks are skipped: nothing of Kubernetes runs on a Stele node yet. */
export const KUBERNETES_SKIP_REASON =
  "no kubelet runs on the nodes yet: no Kubernetes images are available on this machine to run one from";

/**
 * What is wrong with the etcd members the control planes report, or undefined when nothing is: every
 * control plane must see the same members, none of them a learner still catching up, and exactly one
 * member per control-plane node, matched by client URL host or by name (the node's hostname), with
 * no member left over (a dead node's member would cost the cluster its quorum margin).
 */
export function etcdMembersProblem(
  views: EtcdMembersView,
  controlPlanes: readonly { address: string; hostname?: string | undefined }[],
): string | undefined {
  if (controlPlanes.length === 0) return "no control-plane node to ask: name them with --control-plane-nodes";
  const describe = (members: readonly EtcdMemberEntry[]) =>
    [...members]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((m) => `${m.name || "(unnamed)"}#${m.id.toString(16)}`)
      .join(", ");
  const [first, ...others] = [...views.entries()];
  if (first === undefined) return "no control plane reported its etcd members";
  for (const [node, members] of others) {
    if (describe(members) !== describe(first[1])) {
      return `${first[0]} sees members [${describe(first[1])}] but ${node} sees [${describe(members)}]`;
    }
  }
  const members = first[1];
  const learners = members.filter((m) => m.isLearner);
  if (learners.length > 0) return `still catching up (learners): ${describe(learners)}`;
  const unmatched = new Set(members);
  const missing: string[] = [];
  for (const node of controlPlanes) {
    const match = members.find((m) => memberIsNode(m, node));
    if (match === undefined) missing.push(node.address);
    else unmatched.delete(match);
  }
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`no etcd member for control plane ${missing.join(", ")}`);
  if (unmatched.size > 0)
    problems.push(`etcd members of no known control plane: ${describe([...unmatched])}`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/**
 * What is wrong with a node's clock, or undefined: more than {@link MAX_CLOCK_SKEW_MS} from this
 * machine's once half the round trip is allowed for (the reading was taken somewhere within it), or
 * the node itself saying its clock is not synchronised.
 */
export function clockProblem(reading: ClockReading): string | undefined {
  if (reading.synced && !reading.synced.synced) {
    return `the node's clock is not synchronised${reading.synced.message ? `: ${reading.synced.message}` : ""}`;
  }
  if (!Number.isFinite(reading.nodeTime)) return "the node sent no time";
  const skew = clockSkewMs(reading);
  if (Math.abs(skew) - (reading.receivedAt - reading.sentAt) / 2 <= MAX_CLOCK_SKEW_MS) return undefined;
  return `its clock is ${(Math.abs(skew) / 1000).toFixed(1)} s ${skew > 0 ? "ahead of" : "behind"} this machine's`;
}

/** The node's clock minus this machine's at the middle of the round trip, in milliseconds. */
export function clockSkewMs(reading: ClockReading): number {
  return reading.nodeTime - (reading.sentAt + reading.receivedAt) / 2;
}

function memberIsNode(
  member: EtcdMemberEntry,
  node: { address: string; hostname?: string | undefined },
): boolean {
  const hosts = member.clientUrls.map(urlHost);
  if (hosts.includes(node.address) || hosts.includes(urlHost(`https://${node.address}`))) return true;
  if (node.hostname === undefined || node.hostname === "" || member.name === "") return false;
  const short = (name: string) => name.split(".")[0];
  return member.name === node.hostname || short(member.name) === short(node.hostname);
}

/** The host of a URL without brackets or port; the text itself when it is not a URL. */
function urlHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return url;
  }
}

function controlPlanes(nodes: readonly HealthNode[]): HealthNode[] {
  const planes = nodes.filter((node) => node.machineType === "controlplane");
  if (planes.length === 0) {
    throw new HealthCheckFailure("no control-plane node known: name them with --control-plane-nodes");
  }
  return planes;
}

/**
 * Runs `check` on every node at once; fails naming every node that failed and why, so one round
 * reports the whole cluster rather than the first bad node.
 */
async function perNode(
  nodes: readonly HealthNode[],
  check: (node: HealthNode) => Promise<void>,
): Promise<void> {
  const outcomes = await Promise.allSettled(nodes.map((node) => check(node)));
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === "rejected" ? [`${nodes[i]?.address}: ${reasonOf(outcome.reason)}`] : [],
  );
  if (failures.length > 0) throw new HealthCheckFailure(failures.join("; "));
}

/** The text of a failure: a SteleError's or check's message, else the error's. */
export function reasonOf(error: unknown): string {
  if (isSteleError(error) || error instanceof HealthCheckFailure) return error.message;
  return error instanceof Error ? error.message : String(error);
}
