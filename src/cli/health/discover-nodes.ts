import type { HealthNode } from "./health-checks.ts";
import type { HealthSource, MemberEntry } from "./health-source.ts";

/**
 * The nodes to check when none were named: those the endpoint knows as Member resources, and the
 * context's nodes, each with its role from its Member resource (asked of the node itself when the
 * endpoint does not list it). A node that cannot be asked is kept with role `unknown`, for the apid
 * check to name it as unreachable rather than for it to vanish from the report.
 */
export async function discoverNodes(
  source: HealthSource,
  options: { contextNodes: readonly string[] },
): Promise<HealthNode[]> {
  const nodes = new Map<string, HealthNode>();
  for (const member of await source.members()) {
    const address = memberAddress(member);
    if (address !== undefined) nodes.set(address, { address, machineType: roleOf(member.machineType) });
  }
  for (const node of options.contextNodes) {
    if (nodes.has(node)) continue;
    let machineType: HealthNode["machineType"] = "unknown";
    try {
      const own = await source.members(node);
      const entry =
        own.find((member) => member.addresses.some((address) => address.split("/")[0] === node)) ??
        (own.length === 1 ? own[0] : undefined);
      machineType = roleOf(entry?.machineType);
    } catch {
      // Left unknown: the apid check reports why the node does not answer.
    }
    nodes.set(node, { address: node, machineType });
  }
  return [...nodes.values()].sort(
    (a, b) => rank(a) - rank(b) || a.address.localeCompare(b.address, undefined, { numeric: true }),
  );
}

/** The address stelectl reaches a member by: its first non-loopback IPv4, else its first non-loopback one. */
export function memberAddress(member: MemberEntry): string | undefined {
  const addresses = member.addresses.map((address) => address.split("/")[0] ?? "");
  const routable = addresses.filter((a) => a !== "" && !a.startsWith("127.") && a !== "::1");
  return routable.find((a) => !a.includes(":")) ?? routable[0];
}

function roleOf(machineType: string | undefined): HealthNode["machineType"] {
  return machineType === "controlplane" || machineType === "worker" ? machineType : "unknown";
}

function rank(node: HealthNode): number {
  return node.machineType === "controlplane" ? 0 : node.machineType === "worker" ? 1 : 2;
}
