import { type Clock, sleep } from "../system/clock.ts";
import type { ConnectEtcd } from "./etcd-api.ts";
import type { EtcdMemberInfo } from "./etcd-control.ts";

/** How etcd starts on this node, decided before each start. */
export type EtcdStartPlan =
  /** `/var/lib/etcd` has a member: start on it (a restart, a reboot, a restored snapshot). */
  | { readonly kind: "restart" }
  /** `stelectl bootstrap` asked for a new cluster with this node as its only member. */
  | { readonly kind: "bootstrap" }
  /** An existing member added this node: start with `--initial-cluster-state existing`. */
  | {
      readonly kind: "join";
      readonly initialCluster: string;
      readonly through: string;
      /** This node's member id: a learner until it is promoted. */
      readonly memberId: bigint;
    };

/** The line a control plane logs while it waits (it shows in MachineStatus): what to do about it. */
export const ETCD_WAITING_MESSAGE =
  "etcd is waiting to join a cluster: if this is the first control plane, run `stelectl bootstrap` on it";

/** The outcome of one attempt to join: joined, or why not yet. */
export type JoinAttempt =
  | {
      readonly joined: true;
      readonly initialCluster: string;
      readonly through: string;
      /** The member id of this node, added as a learner: promoted once it has caught up. */
      readonly memberId: bigint;
    }
  | { readonly joined: false; readonly reason: string };

/** Options of {@link joinEtcdCluster}. */
export interface JoinEtcdClusterOptions {
  /** Client URLs of members that may be running (the endpoint's host, the control planes' addresses). */
  candidates: readonly string[];
  /** This member's name (hostname) and peer URL. */
  name: string;
  peerUrl: string;
  connect: ConnectEtcd;
  /** Told what the attempt did (a stale member removed); for the etcd service's log. */
  log: (message: string) => void;
}

/**
 * One attempt to join a running etcd cluster: the first candidate that answers adds this node as a
 * member, and the returned `--initial-cluster` lists every member with this node under its name (as
 * `etcdctl member add` prints it). A member with this node's peer URL can only be a previous life of
 * this node (its data is gone, or it would have restarted on it): it is removed and added again, as
 * etcd cannot take back a member whose data was lost.
 */
export async function joinEtcdCluster(options: JoinEtcdClusterOptions): Promise<JoinAttempt> {
  if (options.candidates.length === 0) {
    return { joined: false, reason: "no other control plane is known: the cluster endpoint is this node" };
  }
  const reasons: string[] = [];
  for (const endpoint of options.candidates) {
    const api = options.connect([endpoint]);
    try {
      let members: EtcdMemberInfo[];
      try {
        members = await api.memberList();
      } catch (error) {
        reasons.push(messageOf(error));
        continue;
      }
      const stale = members.find((m) => m.peerUrls.includes(options.peerUrl));
      if (stale) {
        options.log(
          `Removing etcd member ${stale.name || "(unstarted)"} ${stale.id.toString(16)} with this node's peer URL ${options.peerUrl}: this node has no data for it`,
        );
        await api.memberRemove(stale.id);
      }
      // As a learner: etcd adds a voting member only once every member has been connected for 5 s
      // (its strict reconfiguration check), which serialises joins; a learner is added at once, does
      // not count for quorum while it catches up, and is promoted as soon as etcd allows it.
      const added = await api.memberAdd([options.peerUrl], { learner: true });
      const initialCluster = added.members
        .flatMap((m) => m.peerUrls.map((url) => `${m.id === added.member.id ? options.name : m.name}=${url}`))
        .join(",");
      return { joined: true, initialCluster, through: endpoint, memberId: added.member.id };
    } catch (error) {
      // The member answered but refused (quorum at risk while another node joins): try again later.
      return { joined: false, reason: messageOf(error) };
    } finally {
      api.close();
    }
  }
  return {
    joined: false,
    reason: `no etcd answers at ${options.candidates.join(", ")}: ${reasons.at(-1) ?? ""}`,
  };
}

/** Options of {@link waitForEtcdStart}. */
export interface WaitForEtcdStartOptions {
  /** Whether etcd's data directory holds a member. */
  hasData(): boolean;
  /** Whether `stelectl bootstrap` asked for a new cluster. */
  bootstrapRequested(): boolean;
  tryJoin(): Promise<JoinAttempt>;
  /** Resolves when something changed that is worth checking at once (a bootstrap request). */
  changed(signal: AbortSignal): Promise<void>;
  log(message: string): void;
  clock: Clock;
  signal: AbortSignal;
  /** Pause between join attempts; default 2 s. */
  retryMs?: number;
  /** Interval of the waiting message; default 10 s. */
  reminderMs?: number;
}

/**
 * Decides how etcd starts, waiting as long as it takes: on its data if it has some, as a new
 * cluster once bootstrap is requested, or by joining a running member. Until one of these is
 * possible it retries the join every `retryMs` and says every `reminderMs` what the operator must
 * do. Rejects only when `signal` aborts (the service was stopped meanwhile).
 */
export async function waitForEtcdStart(options: WaitForEtcdStartOptions): Promise<EtcdStartPlan> {
  const retryMs = options.retryMs ?? 2_000;
  const reminderMs = options.reminderMs ?? 10_000;
  let remindedAt: number | undefined;
  let lastReason: string | undefined;
  for (;;) {
    if (options.signal.aborted) throw options.signal.reason ?? new Error("aborted");
    if (options.hasData()) return { kind: "restart" };
    if (options.bootstrapRequested()) return { kind: "bootstrap" };
    const attempt = await options.tryJoin();
    if (attempt.joined)
      return {
        kind: "join",
        initialCluster: attempt.initialCluster,
        through: attempt.through,
        memberId: attempt.memberId,
      };
    const now = options.clock.now();
    if (remindedAt === undefined || now - remindedAt >= reminderMs) {
      if (attempt.reason !== lastReason) options.log(`Cannot join an etcd cluster yet: ${attempt.reason}`);
      lastReason = attempt.reason;
      options.log(ETCD_WAITING_MESSAGE);
      remindedAt = now;
    }
    const wake = new AbortController();
    const onAbort = () => wake.abort();
    options.signal.addEventListener("abort", onAbort, { once: true });
    await Promise.race([sleep(options.clock, retryMs, wake.signal), options.changed(wake.signal)]);
    wake.abort();
    options.signal.removeEventListener("abort", onAbort);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
