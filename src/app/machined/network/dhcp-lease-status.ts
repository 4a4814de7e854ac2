import { z } from "zod";
import { defineResourceType, type ResourceStore } from "../../../runtime/index.ts";
import { NODE_ADDRESSES_ID, NodeAddresses, readNodeAddresses } from "../resources/node-addresses.ts";
import type { DhcpClock } from "./dhcp-interface.ts";
import type { DhcpNetwork, InterfaceLease } from "./dhcp-network.ts";

const DhcpLeaseStatusSpecSchema = z.object({
  /** The client's RFC 2131 state: `selecting` while it looks for a server, `bound` with a lease… */
  state: z.string(),
  /** `address/prefix`, absent without a lease. */
  address: z.string().optional(),
  routers: z.array(z.string()),
  dnsServers: z.array(z.string()),
  /** The server that granted the lease (option 54). */
  server: z.string().optional(),
  /** The lease's length as granted, seconds (4294967295: infinite). */
  leaseSeconds: z.number().optional(),
  /** When the lease runs out, as an ISO time (absent for an infinite lease): the time left is what a person asks. */
  expiresAt: z.string().optional(),
  /** When the client asks its server to renew (T1), ISO time. */
  renewAt: z.string().optional(),
});

/** The spec of a DhcpLeaseStatus resource. */
export type DhcpLeaseStatusSpec = z.infer<typeof DhcpLeaseStatusSpecSchema>;

/**
 * One interface's DHCP client (id = the interface): state, lease, and when it expires, so that
 * `stelectl get dhcpleasestatus` tells where an address came from and how long it holds.
 */
export const DhcpLeaseStatus = defineResourceType<DhcpLeaseStatusSpec>({
  type: "DhcpLeaseStatuses.net.stele.dev",
  aliases: ["dhcpleasestatus", "dhcpleasestatuses"],
  defaultNamespace: "network",
  printColumns: [
    { name: "State", path: "spec.state" },
    { name: "Address", path: "spec.address" },
    { name: "Expires", path: "spec.expiresAt" },
  ],
  schema: DhcpLeaseStatusSpecSchema,
});

/**
 * The status of one client. Lease times are on the DHCP clock (monotonic); `toWallClock` turns one
 * into a wall-clock time, given at the moment the status is written.
 */
export function dhcpLeaseStatusSpec(
  entry: InterfaceLease,
  toWallClock: (at: number) => Date,
): DhcpLeaseStatusSpec {
  const { lease } = entry;
  if (lease === undefined) return { state: entry.state, routers: [], dnsServers: [] };
  const iso = (at: number) => (Number.isFinite(at) ? { value: toWallClock(at).toISOString() } : undefined);
  const expires = iso(lease.expiresAt);
  const renew = iso(lease.renewAt);
  return {
    state: entry.state,
    address: `${lease.address}/${lease.prefixLength}`,
    routers: lease.routers,
    dnsServers: lease.dnsServers,
    server: lease.serverId,
    leaseSeconds: lease.leaseSeconds,
    ...(expires === undefined ? {} : { expiresAt: expires.value }),
    ...(renew === undefined ? {} : { renewAt: renew.value }),
  };
}

/**
 * Writes one DhcpLeaseStatus per client in `leases` and destroys those of interfaces DHCP no longer
 * runs on. `store` must have the type registered.
 */
export async function publishDhcpLeases(
  store: ResourceStore,
  options: { leases: InterfaceLease[]; toWallClock: (at: number) => Date; owner: string },
): Promise<void> {
  const { owner } = options;
  const names = new Set(options.leases.map((entry) => entry.name));
  for (const stale of store.list(DhcpLeaseStatus)) {
    if (!names.has(stale.metadata.id)) store.destroy(DhcpLeaseStatus, stale.metadata.id, { owner });
  }
  for (const entry of options.leases) {
    const spec = dhcpLeaseStatusSpec(entry, options.toWallClock);
    await store.modify(DhcpLeaseStatus, entry.name, { owner, transform: () => spec });
  }
}

/** Options of {@link watchDhcpNetwork}. */
export interface WatchDhcpNetworkOptions {
  /** The clock the DHCP clients run on, to turn lease times into wall-clock times. */
  clock: DhcpClock;
  /** The owner of the status resources and of NodeAddresses (machined's). */
  owner: string;
  onError: (error: unknown) => void;
}

/**
 * Keeps the store in step with DHCP: after each lease change, NodeAddresses is read again from the
 * interfaces (a DHCP address is an address of the node like any other: certificates and the Member
 * resource follow it) and the DhcpLeaseStatus resources are rewritten. Registers DhcpLeaseStatus.
 * Returns the unsubscribe.
 */
export function watchDhcpNetwork(
  dhcp: DhcpNetwork,
  store: ResourceStore,
  options: WatchDhcpNetworkOptions,
): () => void {
  store.registerType(DhcpLeaseStatus);
  const { clock, owner } = options;
  const toWallClock = (at: number) => new Date(Date.now() + (at - clock.now()));
  let queue = Promise.resolve();
  const publish = () => {
    // One write at a time, in order: two lease changes in a row must not land the older one last.
    queue = queue
      .then(async () => {
        await store.modify(NodeAddresses, NODE_ADDRESSES_ID, { owner, transform: readNodeAddresses });
        await publishDhcpLeases(store, { leases: dhcp.leases(), toWallClock, owner });
      })
      .catch(options.onError);
  };
  publish();
  return dhcp.subscribe(publish);
}
