import { SteleError } from "../../../../machinery/errors.ts";
import type { EtcdApi } from "../etcd-api.ts";
import type { EtcdAlarmInfo, EtcdMemberInfo, EtcdMemberStatusInfo } from "../etcd-control.ts";

/**
 * Test support: an in-memory etcd cluster whose members answer at their client URLs. Tests decide
 * which endpoints answer, make membership changes fail, and see the calls made, so the start
 * decision and NodeEtcd's logic are checked without processes.
 */
export class FakeEtcdCluster {
  members: EtcdMemberInfo[] = [];
  alarms: EtcdAlarmInfo[] = [];
  leader = 0n;
  /** Client URLs that answer (others refuse the connection). */
  readonly answering = new Set<string>();
  /** Every call: `endpoint method args`. */
  readonly calls: string[] = [];
  /** The next membership change fails with this message (an etcd refusal). */
  refuseNextChange: string | undefined;
  #nextId = 0x1000n;

  /** Adds a started member answering at `https://<address>:2379`. */
  addStarted(name: string, address: string): EtcdMemberInfo {
    const member = {
      id: this.#nextId++,
      name,
      peerUrls: [`https://${address}:2380`],
      clientUrls: [`https://${address}:2379`],
      isLearner: false,
    };
    this.members.push(member);
    this.answering.add(member.clientUrls[0]!);
    if (this.leader === 0n) this.leader = member.id;
    return member;
  }

  /** A client like `Etcd3Api`: tries the endpoints in order, the first answering one serves. */
  connect(endpoints: readonly string[]): EtcdApi {
    const serve = <T>(what: string, fn: (endpoint: string) => T): Promise<T> => {
      const endpoint = endpoints.find((e) => this.answering.has(e));
      this.calls.push(`${endpoint ?? endpoints.join(",")} ${what}`);
      if (!endpoint) {
        return Promise.reject(
          new SteleError(
            "unavailable",
            `Cannot ${what}: etcd at ${endpoints.join(", ")} does not answer: ECONNREFUSED`,
          ),
        );
      }
      try {
        return Promise.resolve(fn(endpoint));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const change = () => {
      const refusal = this.refuseNextChange;
      this.refuseNextChange = undefined;
      if (refusal) throw new SteleError("failed-precondition", `etcd refused it: ${refusal}`);
    };
    const self = (endpoint: string) => this.members.find((m) => m.clientUrls.includes(endpoint))!;
    return {
      endpoints,
      memberList: () => serve("memberList", () => [...this.members]),
      memberAdd: (peerUrls, options) =>
        serve(`memberAdd ${peerUrls.join(",")}${options?.learner ? " (learner)" : ""}`, () => {
          change();
          const member = {
            id: this.#nextId++,
            name: "",
            peerUrls: [...peerUrls],
            clientUrls: [],
            isLearner: options?.learner ?? false,
          };
          this.members.push(member);
          return { member, members: [...this.members] };
        }),
      memberRemove: (id) =>
        serve(`memberRemove ${id}`, () => {
          change();
          if (!this.members.some((m) => m.id === id))
            throw new SteleError("not-found", "Cannot remove: no such member");
          this.members = this.members.filter((m) => m.id !== id);
        }),
      memberPromote: (id) =>
        serve(`memberPromote ${id}`, () => {
          change();
          const member = this.members.find((m) => m.id === id);
          if (!member) throw new SteleError("not-found", "Cannot promote: no such member");
          if (!member.isLearner)
            throw new SteleError("failed-precondition", "Cannot promote: member is not a learner");
          this.members = this.members.map((m) => (m.id === id ? { ...m, isLearner: false } : m));
        }),
      status: () =>
        serve(
          "status",
          (endpoint): EtcdMemberStatusInfo => ({
            memberId: self(endpoint).id,
            version: "3.5.16",
            dbSize: 20480,
            dbSizeInUse: 16384,
            leader: this.leader,
            raftIndex: 10n,
            raftTerm: 2n,
            raftAppliedIndex: 10n,
            errors: [],
            isLearner: false,
          }),
        ),
      snapshot: () => {
        throw new Error("not faked");
      },
      moveLeader: (id) =>
        serve(`moveLeader ${id}`, () => {
          this.leader = id;
        }),
      defragment: () => serve("defragment", () => {}),
      alarms: () => serve("alarms", () => [...this.alarms]),
      disarm: (alarm) =>
        serve(`disarm ${alarm.alarm}`, () => {
          this.alarms = this.alarms.filter((a) => a !== alarm);
        }),
      close: () => {},
    };
  }
}
