/**
 * Which roles may call which RPC: the one table apid consults before it forwards a call. Modelled on
 * Talos's table, with the same rule for what is missing: a method not in the table is admin-only, so a
 * new RPC is closed until someone decides who may call it (rbac.test.ts fails until they do).
 */
import type { Role } from "./roles.ts";

const MACHINE = "/stele.machine.v1alpha1.MachineService";
const VERSION = "/stele.machine.v1alpha1.VersionService";
const STATS = "/stele.machine.v1alpha1.StatsService";
const RESOURCE = "/stele.resource.v1alpha1.ResourceService";
const SECURITY = "/stele.security.v1alpha1.SecurityService";

// Role sets, widest first. Every set names os:admin although authorize() lets it through anyway: the
// table then reads whole, without a rule to remember.
const ADMIN: readonly Role[] = ["os:admin"];
const OPERATOR: readonly Role[] = ["os:admin", "os:operator"];
const READER: readonly Role[] = ["os:admin", "os:operator", "os:reader"];
const EVERYONE: readonly Role[] = ["os:admin", "os:operator", "os:reader", "os:etcd:backup"];

/**
 * Every RPC of the node API, by full method path, with the roles that may call it. The one place that
 * says so: apid enforces it, `stelectl` quotes it in "permission denied" hints, and docs link here.
 *
 * - os:reader reads status: version, services, events, resources (the server hides sensitive types from
 *   everyone but os:admin), file names (not contents: files may hold secrets), processes, memory, kernel
 *   messages, node statistics (CPU, load, memory, disks, network, mounts), and etcd's members, status
 *   and alarms. It may read logs too, as in Talos: a log is how a reader finds out why a node is
 *   unhealthy, which is what the role is for, and services must not log secrets in the first place (a
 *   secret in a log is a bug of the service, not a reason to blind readers).
 * - os:operator also acts on a node without changing its configuration: reboot, shutdown, service
 *   start/stop/restart, and etcd snapshot, defragmentation, leadership hand-over and alarm disarm.
 * - os:etcd:backup takes etcd snapshots, and reads the version so a backup job can check what it talks to.
 * - os:admin may do everything, including what changes or destroys a node (apply, reset, upgrade,
 *   bootstrap, etcd membership, a snapshot to recover etcd from) and what reveals secrets (file
 *   contents, client certificates).
 */
export const RBAC_RULES: Readonly<Record<string, readonly Role[]>> = {
  [`${VERSION}/Version`]: EVERYONE,

  [`${MACHINE}/ApplyConfiguration`]: ADMIN,
  [`${MACHINE}/Reboot`]: OPERATOR,
  [`${MACHINE}/Shutdown`]: OPERATOR,
  [`${MACHINE}/Reset`]: ADMIN,
  [`${MACHINE}/Bootstrap`]: ADMIN,
  [`${MACHINE}/Upgrade`]: ADMIN,
  [`${MACHINE}/ServiceList`]: READER,
  [`${MACHINE}/ServiceStart`]: OPERATOR,
  [`${MACHINE}/ServiceStop`]: OPERATOR,
  [`${MACHINE}/ServiceRestart`]: OPERATOR,
  [`${MACHINE}/Logs`]: READER,
  [`${MACHINE}/Dmesg`]: READER,
  [`${MACHINE}/Events`]: READER,
  [`${MACHINE}/List`]: READER,
  [`${MACHINE}/Read`]: ADMIN,
  [`${MACHINE}/Processes`]: READER,
  [`${MACHINE}/Memory`]: READER,
  [`${MACHINE}/GenerateClientConfiguration`]: ADMIN,

  [`${MACHINE}/EtcdMemberList`]: READER,
  [`${MACHINE}/EtcdStatus`]: READER,
  [`${MACHINE}/EtcdAlarmList`]: READER,
  [`${MACHINE}/EtcdSnapshot`]: ["os:admin", "os:operator", "os:etcd:backup"],
  [`${MACHINE}/EtcdDefragment`]: OPERATOR,
  [`${MACHINE}/EtcdForfeitLeadership`]: OPERATOR,
  [`${MACHINE}/EtcdAlarmDisarm`]: OPERATOR,
  [`${MACHINE}/EtcdLeaveCluster`]: ADMIN,
  [`${MACHINE}/EtcdRemoveMember`]: ADMIN,
  [`${MACHINE}/EtcdRecover`]: ADMIN,

  [`${STATS}/CPUStats`]: READER,
  [`${STATS}/LoadAvg`]: READER,
  [`${STATS}/MemoryStats`]: READER,
  [`${STATS}/DiskStats`]: READER,
  [`${STATS}/NetworkStats`]: READER,
  [`${STATS}/Mounts`]: READER,
  [`${STATS}/WatchStats`]: READER,

  [`${RESOURCE}/Get`]: READER,
  [`${RESOURCE}/List`]: READER,
  [`${RESOURCE}/Watch`]: READER,
  [`${RESOURCE}/ResourceDefinitions`]: READER,
};

/**
 * RPCs that authenticate their caller by the machine token (gRPC metadata key `token`) instead of by
 * the roles of a client certificate: trustd's, called by a node that has no certificate yet. They are
 * not in RBAC_RULES, so should one ever reach apid's role check it would be admin-only.
 */
export const TOKEN_AUTHENTICATED_METHODS: ReadonlySet<string> = new Set([`${SECURITY}/Certificate`]);

/**
 * RPCs a node in maintenance mode serves, to anyone who reaches it, before it has a configuration and
 * so before it has a CA to check client certificates against: enough to check what the node is and to
 * give it a configuration. Resource reads serve non-sensitive types only, as for os:reader; with no
 * configuration there are no secrets yet anyway, and disks are resources (`stelectl get disks`), so the
 * user can pick the install disk.
 */
export const MAINTENANCE_ALLOWED_METHODS: ReadonlySet<string> = new Set([
  `${VERSION}/Version`,
  `${MACHINE}/ApplyConfiguration`,
  `${RESOURCE}/Get`,
  `${RESOURCE}/List`,
  `${RESOURCE}/Watch`,
  `${RESOURCE}/ResourceDefinitions`,
]);

/** What authorize() decided, with the roles that would have allowed the call, for the error's hint. */
export interface Authorization {
  /** Whether the caller may call the method. */
  allowed: boolean;
  /** The roles that may call the method, os:admin always among them. */
  required: readonly Role[];
}

/**
 * Decides whether a caller holding `roles` may call `method` (a full path such as
 * `/stele.machine.v1alpha1.MachineService/Reboot`): allowed when it holds any role the table names for
 * the method. A method missing from the table is admin-only, and os:admin may call everything, so a
 * new RPC is never open by accident and an admin is never locked out by a stale table.
 */
export function authorize(method: string, roles: readonly Role[]): Authorization {
  const required = Object.hasOwn(RBAC_RULES, method) ? RBAC_RULES[method]! : ADMIN;
  const allowed = roles.includes("os:admin") || roles.some((role) => required.includes(role));
  return { allowed, required };
}
