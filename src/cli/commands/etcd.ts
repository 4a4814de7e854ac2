import type { Command } from "commander";
import type {
  EtcdMember,
  EtcdMemberAlarm,
  EtcdMemberStatus,
  EtcdSnapshotResponse,
} from "../../machinery/api/machine/v1alpha1/etcd.ts";
import { SteleError } from "../../machinery/errors.ts";
import { callUnary, fanOut, readStream } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import { type NodeSession, type NodeTarget, openNodeSession } from "../client/node-session.ts";
import { formatBytes } from "../dashboard/format-units.ts";
import { writeStreamAtomically } from "./write-stream-atomically.ts";

/**
 * Registers `stelectl etcd members | status | snapshot | leave | remove-member | defrag |
 * forfeit-leadership | alarm list | alarm disarm`, Talos's etcd commands: tables with a NODE column,
 * one row per member, status or alarm each node reported.
 */
export function registerEtcdCommands(program: Command): void {
  const etcd = program.command("etcd").description("Manage the etcd cluster of the control-plane nodes");

  etcd
    .command("members")
    .description("List the members of the etcd cluster, as each node sees it")
    .option("--local", "answer from each node's member without a quorum read (when quorum is lost)", false)
    .action((options: { local: boolean }, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) =>
          unary(target, "etcdMemberList", { queryLocal: options.local }),
        );
        process.stdout.write(
          formatTable([
            ["NODE", "ID", "HOSTNAME", "PEER URLS", "CLIENT URLS", "LEARNER"],
            ...replies.flatMap(({ node, value }) =>
              value.flatMap((reply) => reply.members.map((member) => memberRow(node, member))),
            ),
          ]),
        );
      }),
    );

  etcd
    .command("status")
    .description("Show the status of each node's etcd member: database size, leader, raft index, errors")
    .action((_options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) => unary(target, "etcdStatus", {}));
        process.stdout.write(
          formatTable([
            [
              "NODE",
              "MEMBER",
              "DB SIZE",
              "IN USE",
              "LEADER",
              "RAFT INDEX",
              "RAFT TERM",
              "RAFT APPLIED INDEX",
              "LEARNER",
              "ERRORS",
            ],
            ...replies.flatMap(({ node, value }) =>
              value.flatMap((reply) => (reply.memberStatus ? [statusRow(node, reply.memberStatus)] : [])),
            ),
          ]),
        );
      }),
    );

  etcd
    .command("snapshot")
    .description(
      "Save a consistent snapshot of the etcd database of one node (roles: admin, operator, etcd:backup)",
    )
    .argument("<file>", "where to write it; written whole or not at all, mode 0600")
    .action((file: string, _options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const target = onlyTarget(
          session,
          "snapshot",
          "a snapshot comes from one node; any control plane has the whole database",
        );
        const [saved] = await fanOut(session, () =>
          writeStreamAtomically(file, async (write) => {
            await readStream<EtcdSnapshotResponse>(
              target.machine.etcdSnapshot({}, target.metadata),
              (message) => write(message.bytes),
            );
          }),
        );
        if (saved === undefined) return;
        process.stdout.write(
          `${target.node}: etcd snapshot saved to ${file}: ${saved.value.bytes} bytes (${formatBytes(saved.value.bytes)}), sha256 ${saved.value.sha256}\n`,
        );
      }),
    );

  etcd
    .command("leave")
    .description("Remove the nodes' members from the etcd cluster and stop etcd on them (admin)")
    .action((_options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) => unary(target, "etcdLeaveCluster", {}));
        for (const { node } of replies) process.stdout.write(`${node}: left the etcd cluster\n`);
      }),
    );

  etcd
    .command("remove-member")
    .description("Remove another member, one whose node is gone, from the etcd cluster (admin)")
    .argument("<id>", "the member's id in hex, as `stelectl etcd members` shows it")
    .action((id: string, _options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const memberId = parseMemberId(id);
        const target = onlyTarget(
          session,
          "remove-member",
          "a member is removed once, through any control plane",
        );
        await fanOut(session, () => unary(target, "etcdRemoveMember", { memberId }));
        process.stdout.write(`${target.node}: removed member ${formatMemberId(memberId)}\n`);
      }),
    );

  etcd
    .command("defrag")
    .description(
      "Defragment the nodes' etcd databases to give freed space back to the disk (blocks each member meanwhile)",
    )
    .action((_options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) => unary(target, "etcdDefragment", {}));
        for (const { node } of replies) process.stdout.write(`${node}: etcd database defragmented\n`);
      }),
    );

  etcd
    .command("forfeit-leadership")
    .description("Move etcd leadership away from the nodes' members, before maintenance")
    .action((_options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) => unary(target, "etcdForfeitLeadership", {}));
        process.stdout.write(
          formatTable([
            ["NODE", "LEADER NOW"],
            ...replies.flatMap(({ node, value }) =>
              value.map((reply) => [node, reply.member || "(this member did not lead)"]),
            ),
          ]),
        );
      }),
    );

  const alarm = etcd.command("alarm").description("List or disarm the alarms of the etcd cluster");
  alarm
    .command("list")
    .description("List the alarms raised in the etcd cluster (no space, corruption)")
    .action((_options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) => unary(target, "etcdAlarmList", {}));
        printAlarms(
          replies.flatMap(({ node, value }) =>
            value.flatMap((r) => r.memberAlarms.map((a) => [node, a] as const)),
          ),
        );
      }),
    );
  alarm
    .command("disarm")
    .description("Clear the alarms of the etcd cluster, once their cause is fixed")
    .action((_options: unknown, command: Command) =>
      withSession(command, async (session) => {
        const replies = await fanOut(session, (target) => unary(target, "etcdAlarmDisarm", {}));
        printAlarms(
          replies.flatMap(({ node, value }) =>
            value.flatMap((r) => r.memberAlarms.map((a) => [node, a] as const)),
          ),
        );
      }),
    );
}

/**
 * A member id as users type it: the hex `stelectl etcd members` prints, with or without `0x`, as
 * etcd's own tools show ids; a 64-bit value, never 0.
 */
export function parseMemberId(text: string): bigint {
  const match = /^(?:0x)?([0-9a-f]{1,16})$/i.exec(text.trim());
  const id = match ? BigInt(`0x${match[1]}`) : 0n;
  if (id === 0n) {
    throw new SteleError(
      "invalid-argument",
      `Invalid etcd member id: ${JSON.stringify(text)}`,
      "Give the member's id in hex as `stelectl etcd members` shows it, e.g. 8e9e05c52164694d",
    );
  }
  return id;
}

/** A member id as etcd's tools print it: 16 hex digits. */
export function formatMemberId(id: bigint): string {
  return id.toString(16).padStart(16, "0");
}

type UnaryName =
  | "etcdMemberList"
  | "etcdStatus"
  | "etcdLeaveCluster"
  | "etcdRemoveMember"
  | "etcdForfeitLeadership"
  | "etcdDefragment"
  | "etcdAlarmList"
  | "etcdAlarmDisarm";

function unary<K extends UnaryName>(
  target: NodeTarget,
  method: K,
  request: Parameters<typeof callUnary<NodeTarget["machine"], K>>[2]["request"],
) {
  return callUnary(target.machine, method, { request, metadata: target.metadata });
}

async function withSession(command: Command, run: (session: NodeSession) => Promise<void>): Promise<void> {
  const session = await openNodeSession(command);
  try {
    await run(session);
  } finally {
    session.close();
  }
}

/** The one target of a command that must not fan out, or a refusal naming why. */
function onlyTarget(session: NodeSession, name: string, why: string): NodeTarget {
  const [target, ...more] = session.targets;
  if (target === undefined || more.length > 0) {
    throw new SteleError(
      "invalid-argument",
      `etcd ${name} talks to one node, not ${session.targets.length}: ${why}`,
      "Pass one control-plane node with --nodes",
    );
  }
  return target;
}

function memberRow(node: string, member: EtcdMember): string[] {
  return [
    node,
    formatMemberId(member.id),
    member.hostname,
    member.peerUrls.join(","),
    member.clientUrls.join(","),
    String(member.isLearner),
  ];
}

function statusRow(node: string, status: EtcdMemberStatus): string[] {
  const size = Number(status.dbSize);
  const inUse = Number(status.dbSizeInUse);
  const share = size > 0 ? ` (${((inUse / size) * 100).toFixed(2)}%)` : "";
  return [
    node,
    formatMemberId(status.memberId),
    formatBytes(size),
    `${formatBytes(inUse)}${share}`,
    formatMemberId(status.leader),
    String(status.raftIndex),
    String(status.raftTerm),
    String(status.raftAppliedIndex),
    String(status.isLearner),
    status.errors.join(", "),
  ];
}

function printAlarms(alarms: readonly (readonly [string, EtcdMemberAlarm])[]): void {
  process.stdout.write(
    formatTable([
      ["NODE", "MEMBER", "ALARM"],
      ...alarms.map(([node, alarm]) => [
        node,
        formatMemberId(alarm.memberId),
        alarm.alarm.replace(/^ETCD_ALARM_TYPE_/, ""),
      ]),
    ]),
  );
}
