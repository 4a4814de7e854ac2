import { AlarmAction, AlarmType, Etcd3, type IMember, type IOptions } from "etcd3";
import { SteleError } from "../../../machinery/errors.ts";
import type { EtcdApi } from "./etcd-api.ts";
import type { EtcdAlarmInfo, EtcdMemberInfo, EtcdMemberStatusInfo } from "./etcd-control.ts";

/** The PEM texts of a TLS client identity and the CA that verifies etcd's server. */
export interface EtcdClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Options of {@link Etcd3Api}. */
export interface Etcd3ApiOptions {
  tls: EtcdClientTls;
  /** Deadline of each unary call; default 5 s. */
  timeoutMs?: number;
}

/** Defragmenting a large database blocks the member for a while; give it its own deadline. */
const DEFRAGMENT_TIMEOUT_MS = 120_000;

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;

/**
 * A fault policy that runs each call once. etcd3's default retries three times and opens a circuit
 * breaker for 5 s after three failures: a health check polling an etcd that is starting would then
 * keep failing for 5 s after etcd came up, and machined's callers retry on their own terms anyway.
 */
const ONCE = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
  onSuccess: () => ({ dispose() {} }),
  onFailure: () => ({ dispose() {} }),
} as unknown as Policy;

/**
 * {@link EtcdApi} over the `etcd3` package (gRPC with TLS and a client certificate from the etcd CA).
 * Each call goes to the endpoints in order, once each, with a deadline, and moves to the next only
 * when one does not answer (a member may be down; a refusal is an answer). Errors become SteleErrors
 * naming the endpoint and what failed.
 */
export class Etcd3Api implements EtcdApi {
  readonly endpoints: readonly string[];
  readonly #clients: readonly Etcd3[];
  readonly #timeoutMs: number;

  constructor(endpoints: readonly string[], options: Etcd3ApiOptions) {
    if (endpoints.length === 0) {
      throw new SteleError(
        "unavailable",
        "Cannot reach etcd: no member's client URL is known",
        "Check the members: stelectl etcd members",
      );
    }
    this.endpoints = [...endpoints];
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#clients = endpoints.map(
      (endpoint) =>
        new Etcd3({
          hosts: [endpoint],
          credentials: {
            rootCertificate: Buffer.from(options.tls.ca),
            certChain: Buffer.from(options.tls.cert),
            privateKey: Buffer.from(options.tls.key),
          },
          dialTimeout: this.#timeoutMs,
          faultHandling: { host: () => ONCE, global: ONCE },
          defaultCallOptions: (context) =>
            context.isStream ? {} : { deadline: Date.now() + this.#timeoutMs },
        }),
    );
  }

  memberList(options: { linearizable?: boolean } = {}): Promise<EtcdMemberInfo[]> {
    return this.#call("list the etcd members", async (client) => {
      const response = await client.cluster.memberList({ linearizable: options.linearizable ?? true });
      return sortMembers(response.members.map(toMember));
    });
  }

  memberAdd(
    peerUrls: readonly string[],
    options: { learner?: boolean } = {},
  ): Promise<{ member: EtcdMemberInfo; members: EtcdMemberInfo[] }> {
    return this.#call("add an etcd member", async (client) => {
      const response = await client.cluster.memberAdd({
        peerURLs: [...peerUrls],
        isLearner: options.learner ?? false,
      });
      return { member: toMember(response.member), members: sortMembers(response.members.map(toMember)) };
    });
  }

  memberPromote(id: bigint): Promise<void> {
    return this.#call(`promote etcd learner ${formatMemberId(id)}`, async (client) => {
      await client.cluster.memberPromote({ ID: id.toString() });
    });
  }

  memberRemove(id: bigint): Promise<void> {
    return this.#call(`remove etcd member ${formatMemberId(id)}`, async (client) => {
      await client.cluster.memberRemove({ ID: id.toString() });
    });
  }

  status(): Promise<EtcdMemberStatusInfo> {
    return this.#call("get the etcd member's status", async (client) => {
      const s = await client.maintenance.status();
      return {
        memberId: BigInt(s.header.member_id),
        version: s.version,
        dbSize: Number(s.dbSize),
        dbSizeInUse: Number(s.dbSizeInUse ?? 0),
        leader: BigInt(s.leader),
        raftIndex: BigInt(s.raftIndex),
        raftTerm: BigInt(s.raftTerm),
        raftAppliedIndex: BigInt(s.raftAppliedIndex ?? 0),
        errors: [...(s.errors ?? [])],
        isLearner: s.isLearner ?? false,
      };
    });
  }

  async *snapshot(): AsyncIterable<Uint8Array> {
    const what = "take an etcd snapshot";
    const { stream, endpoint } = await this.#call(what, async (client, endpoint) => ({
      stream: (await client.maintenance.snapshot()) as unknown as AsyncIterable<{ blob: Buffer }>,
      endpoint,
    }));
    try {
      for await (const part of stream) yield part.blob;
    } catch (error) {
      throw toSteleError(error, what, [endpoint]);
    }
  }

  moveLeader(id: bigint): Promise<void> {
    return this.#call(`move etcd leadership to member ${formatMemberId(id)}`, async (client) => {
      await client.maintenance.moveLeader({ targetID: id.toString() });
    });
  }

  defragment(): Promise<void> {
    return this.#call("defragment the etcd database", async (client) => {
      await client.maintenance.defragment({ deadline: Date.now() + DEFRAGMENT_TIMEOUT_MS });
    });
  }

  alarms(): Promise<EtcdAlarmInfo[]> {
    return this.#call("list the etcd alarms", async (client) => {
      const response = await client.maintenance.alarm({
        action: AlarmAction.Get,
        memberID: "0",
        alarm: AlarmType.None,
      });
      return (response.alarms ?? [])
        .map((a) => ({ memberId: BigInt(a.memberID), alarm: alarmName(a.alarm) }))
        .filter((a) => a.alarm !== "NONE");
    });
  }

  disarm(alarm: EtcdAlarmInfo): Promise<void> {
    return this.#call(`disarm etcd alarm ${alarm.alarm}`, async (client) => {
      const type =
        alarm.alarm === "NOSPACE"
          ? AlarmType.Nospace
          : alarm.alarm === "CORRUPT"
            ? AlarmType.Corrupt
            : AlarmType.None;
      await client.maintenance.alarm({
        action: AlarmAction.Deactivate,
        memberID: alarm.memberId.toString(),
        alarm: type,
      });
    });
  }

  close(): void {
    for (const client of this.#clients) client.close();
  }

  async #call<T>(what: string, fn: (client: Etcd3, endpoint: string) => Promise<T>): Promise<T> {
    let failure: SteleError | undefined;
    for (const [index, client] of this.#clients.entries()) {
      const endpoint = this.endpoints[index]!;
      try {
        return await fn(client, endpoint);
      } catch (error) {
        failure = toSteleError(error, what, [endpoint]);
        if (failure.code !== "unavailable") throw failure;
      }
    }
    throw failure!;
  }
}

/** A member id as etcdctl prints it: 16 hex digits. */
export function formatMemberId(id: bigint): string {
  return id.toString(16).padStart(16, "0");
}

/**
 * An error of the etcd client as a SteleError: what machined tried, where, and etcd's reason, with
 * a code the API maps to a gRPC status and a hint of what to do next.
 */
export function toSteleError(error: unknown, what: string, endpoints: readonly string[]): SteleError {
  const message = error instanceof Error ? error.message : String(error);
  const where = endpoints.join(", ");
  const reason = message.replace(/^\w*Error: /, "");
  const is = (text: string) => message.includes(text);
  if (is("member not found")) {
    return new SteleError(
      "not-found",
      `Cannot ${what}: no such member`,
      "List the members: stelectl etcd members",
      {
        cause: error,
      },
    );
  }
  if (is("Peer URLs already exists") || is("peerURL exists")) {
    return new SteleError(
      "already-exists",
      `Cannot ${what}: a member with this peer URL exists`,
      "List the members: stelectl etcd members",
      { cause: error },
    );
  }
  if (is("unhealthy cluster") || is("not enough started members") || is("re-configuration failed")) {
    return new SteleError(
      "failed-precondition",
      `Cannot ${what}: etcd refused it to keep its quorum: ${reason}`,
      "Wait until every member is started and healthy (stelectl etcd status), then try again",
      { cause: error },
    );
  }
  if (is("permission denied") || is("UNAUTHENTICATED") || is("certificate")) {
    return new SteleError(
      "permission-denied",
      `Cannot ${what}: etcd at ${where} refused machined's client certificate: ${reason}`,
      "Check that every node's config carries the same etcd CA (cluster.etcd.ca)",
      { cause: error },
    );
  }
  if (
    is("UNAVAILABLE") ||
    is("DEADLINE_EXCEEDED") ||
    is("No connection established") ||
    is("ECONNREFUSED") ||
    is("timed out") ||
    is("not leader") ||
    is("leader changed") ||
    is("no leader")
  ) {
    return new SteleError(
      "unavailable",
      `Cannot ${what}: etcd at ${where} does not answer: ${reason}`,
      "Check the etcd service: stelectl services etcd; stelectl logs etcd",
      { cause: error },
    );
  }
  return new SteleError(
    "internal",
    `Cannot ${what}: etcd at ${where} failed: ${reason}`,
    "Look at etcd's log: stelectl logs etcd",
    { cause: error },
  );
}

function toMember(m: IMember): EtcdMemberInfo {
  return {
    id: BigInt(m.ID),
    name: m.name ?? "",
    peerUrls: [...(m.peerURLs ?? [])],
    clientUrls: [...(m.clientURLs ?? [])],
    isLearner: m.isLearner ?? false,
  };
}

function sortMembers(members: EtcdMemberInfo[]): EtcdMemberInfo[] {
  return members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function alarmName(alarm: unknown): string {
  if (typeof alarm === "number") return (AlarmType[alarm] ?? "NONE").toUpperCase();
  return String(alarm).toUpperCase();
}
