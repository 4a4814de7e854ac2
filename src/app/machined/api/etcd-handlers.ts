import type {
  EtcdAlarmType,
  EtcdMember,
  EtcdMemberAlarm,
  EtcdMemberStatus,
} from "../../../machinery/api/machine/v1alpha1/etcd.ts";
import type { MachineServiceServer } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../../machinery/errors.ts";
import type { Logger } from "../../../runtime/index.ts";
import type {
  EtcdAlarmInfo,
  EtcdControl,
  EtcdMemberInfo,
  EtcdMemberStatusInfo,
} from "../etcd/etcd-control.ts";
import { clientStream, serverStream, unary } from "./call-handlers.ts";

/** What the etcd handlers need of machined: its logger, its hostname, and its etcd if it runs one. */
export interface EtcdHandlerHost {
  readonly logger: Logger;
  hostname(): string;
  /** Undefined where machined runs no etcd (a plain process sharing a host). */
  readonly etcd: EtcdControl | undefined;
}

/** The MachineService methods about etcd, which {@link etcdHandlers} implements. */
export type EtcdMethods = Pick<
  MachineServiceServer,
  | "bootstrap"
  | "etcdRecover"
  | "etcdMemberList"
  | "etcdSnapshot"
  | "etcdStatus"
  | "etcdLeaveCluster"
  | "etcdRemoveMember"
  | "etcdForfeitLeadership"
  | "etcdDefragment"
  | "etcdAlarmList"
  | "etcdAlarmDisarm"
>;

/** Bytes per EtcdSnapshot message at most, whatever size the chunks come from etcd in. */
export const SNAPSHOT_CHUNK_BYTES = 64 * 1024;

const ALARM_TYPES: Readonly<Record<string, EtcdAlarmType>> = {
  NOSPACE: "ETCD_ALARM_TYPE_NOSPACE",
  CORRUPT: "ETCD_ALARM_TYPE_CORRUPT",
};

/**
 * The handlers of Bootstrap, EtcdRecover and every Etcd* RPC over machined's {@link EtcdControl}.
 * They translate messages only: what may be done, and when, is the EtcdControl's to decide, and its
 * SteleErrors reach the client as statuses with their hints. A machined without etcd answers every
 * one of them FAILED_PRECONDITION, saying where etcd does run.
 */
export function etcdHandlers(host: EtcdHandlerHost): EtcdMethods {
  const log = host.logger;
  const metadata = () => ({ hostname: host.hostname() });
  const etcd = (): EtcdControl => {
    if (host.etcd === undefined) {
      throw new SteleError(
        "failed-precondition",
        "etcd runs only on control-plane nodes started as a sandbox or on metal: this node runs none",
        "Send etcd commands to a control-plane node of a cluster made by `stelectl cluster create`, or of metal nodes",
      );
    }
    return host.etcd;
  };
  const acknowledge = () => ({ messages: [{ metadata: metadata() }] });

  return {
    bootstrap: unary(log, "Bootstrap", async (request) => {
      await etcd().bootstrap({ recover: request.recoverEtcd, skipHashCheck: request.recoverSkipHashCheck });
      log.info({ recover: request.recoverEtcd }, "etcd bootstrap requested");
      return acknowledge();
    }),
    etcdRecover: clientStream(log, "EtcdRecover", async (requests) => {
      const control = etcd();
      let bytes = 0;
      await control.uploadSnapshot(
        (async function* () {
          for await (const request of requests) {
            bytes += request.bytes.length;
            yield request.bytes;
          }
        })(),
      );
      log.info({ bytes }, "etcd snapshot uploaded for recovery");
      return acknowledge();
    }),
    etcdMemberList: unary(log, "EtcdMemberList", async (request) => ({
      messages: [
        {
          metadata: metadata(),
          members: (await etcd().members({ local: request.queryLocal })).map(toEtcdMember),
        },
      ],
    })),
    etcdSnapshot: serverStream(log, "EtcdSnapshot", async (_request, sink) => {
      for await (const chunk of etcd().snapshot()) {
        for (let offset = 0; offset < chunk.length; offset += SNAPSHOT_CHUNK_BYTES) {
          if (sink.signal.aborted) return; // leaving the loop ends etcd's stream too
          const piece = chunk.subarray(offset, offset + SNAPSHOT_CHUNK_BYTES);
          await sink.send({ metadata: metadata(), bytes: Buffer.from(piece) });
        }
      }
    }),
    etcdStatus: unary(log, "EtcdStatus", async () => ({
      messages: [{ metadata: metadata(), memberStatus: toEtcdMemberStatus(await etcd().status()) }],
    })),
    etcdLeaveCluster: unary(log, "EtcdLeaveCluster", async () => {
      await etcd().leave();
      log.info({}, "Left the etcd cluster");
      return acknowledge();
    }),
    etcdRemoveMember: unary(log, "EtcdRemoveMember", async (request) => {
      if (request.memberId === 0n) {
        throw new SteleError(
          "invalid-argument",
          "No member to remove: the member id is 0",
          "Pass the id `stelectl etcd members` shows",
        );
      }
      await etcd().removeMember(request.memberId);
      log.info({ memberId: request.memberId.toString(16) }, "Removed an etcd member");
      return acknowledge();
    }),
    etcdForfeitLeadership: unary(log, "EtcdForfeitLeadership", async () => ({
      messages: [{ metadata: metadata(), member: await etcd().forfeitLeadership() }],
    })),
    etcdDefragment: unary(log, "EtcdDefragment", async () => {
      await etcd().defragment();
      return acknowledge();
    }),
    etcdAlarmList: unary(log, "EtcdAlarmList", async () => ({
      messages: [{ metadata: metadata(), memberAlarms: (await etcd().alarms()).map(toMemberAlarm) }],
    })),
    etcdAlarmDisarm: unary(log, "EtcdAlarmDisarm", async () => ({
      messages: [{ metadata: metadata(), memberAlarms: (await etcd().disarmAlarms()).map(toMemberAlarm) }],
    })),
  };
}

function toEtcdMember(member: EtcdMemberInfo): EtcdMember {
  return {
    id: member.id,
    hostname: member.name,
    peerUrls: [...member.peerUrls],
    clientUrls: [...member.clientUrls],
    isLearner: member.isLearner,
  };
}

function toEtcdMemberStatus(status: EtcdMemberStatusInfo): EtcdMemberStatus {
  return {
    memberId: status.memberId,
    protocolVersion: status.version,
    dbSize: BigInt(status.dbSize),
    dbSizeInUse: BigInt(status.dbSizeInUse),
    leader: status.leader,
    raftIndex: status.raftIndex,
    raftTerm: status.raftTerm,
    raftAppliedIndex: status.raftAppliedIndex,
    errors: [...status.errors],
    isLearner: status.isLearner,
  };
}

function toMemberAlarm(alarm: EtcdAlarmInfo): EtcdMemberAlarm {
  return {
    memberId: alarm.memberId,
    alarm: ALARM_TYPES[alarm.alarm.toUpperCase()] ?? "ETCD_ALARM_TYPE_UNSPECIFIED",
  };
}
