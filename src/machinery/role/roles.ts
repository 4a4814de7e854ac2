import { SteleError } from "../errors.ts";

/**
 * The roles a client certificate can carry, as Organization values of its subject. apid maps each
 * RPC to the roles that may call it; the list is closed so that a typo in `--roles` fails when the
 * certificate is minted, not later as a puzzling "permission denied".
 */
export const ROLES = ["os:admin", "os:operator", "os:reader", "os:etcd:backup"] as const;

/** One role of `ROLES`. */
export type Role = (typeof ROLES)[number];

/** What each role may do, in one sentence, for `--help` texts and `stelectl config new`. */
export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  "os:admin":
    "Everything, including reading secrets, applying configs, upgrading, resetting and rebooting nodes",
  "os:operator":
    "Read everything but secrets, and operate nodes: reboot, restart services, take etcd snapshots; no config changes",
  "os:reader": "Read-only access to resources, logs and status, never to secrets",
  "os:etcd:backup": "Only take etcd snapshots, for unattended backup jobs",
};

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/** Whether a string is one of `ROLES`. */
export function isRole(value: string): value is Role {
  return ROLE_SET.has(value);
}

/**
 * Reads roles as a user types them: a comma-separated string (`--roles os:reader,os:etcd:backup`)
 * or a list. Whitespace and empty items are ignored and duplicates kept once, in first-seen order.
 * An unknown role is refused with the list of valid ones, never dropped: silently minting a
 * certificate with fewer rights than asked for would only surface later, on a node.
 */
export function parseRoles(list: string | readonly string[]): Role[] {
  const items = (typeof list === "string" ? list.split(",") : list).map((item) => item.trim());
  const roles: Role[] = [];
  for (const item of items) {
    if (item === "") continue;
    if (!isRole(item)) {
      throw new SteleError(
        "invalid-argument",
        `Unknown role ${JSON.stringify(item)}: valid roles are ${ROLES.join(", ")}`,
        "Pick roles from that list, separated by commas, e.g. --roles os:reader,os:etcd:backup",
      );
    }
    if (!roles.includes(item)) roles.push(item);
  }
  return roles;
}

/**
 * The roles a certificate grants, from its subject's Organization values. Unknown organizations
 * are ignored rather than refused: a company CA may put its own O= values in certificates, and
 * they must simply grant nothing.
 */
export function rolesFromOrganizations(organizations: readonly string[]): Role[] {
  const roles: Role[] = [];
  for (const organization of organizations) {
    if (isRole(organization) && !roles.includes(organization)) roles.push(organization);
  }
  return roles;
}
