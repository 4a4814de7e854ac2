import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SteleError } from "../../machinery/errors.ts";
import { startDhcpServer } from "./dhcp-server.ts";
import type { DhcpServerConfig } from "./dhcp-server-reply.ts";
import { type QemuClusterState, readQemuClusterState } from "./qemu-cluster-state.ts";

/** Lease time the cluster's DHCP server gives: a day, renewed at half, as a site's server would. */
export const CLUSTER_LEASE_SECONDS = 86_400;

/** The DHCP server's table for a QEMU cluster: each node's MAC → its planned address and name. */
export function clusterDhcpConfig(state: QemuClusterState): DhcpServerConfig {
  return {
    serverAddress: state.dhcpServerAddress,
    subnetMask: state.netmask,
    router: state.gateway,
    leaseSeconds: CLUSTER_LEASE_SECONDS,
    reservations: new Map(
      state.nodes.map((node) => [node.mac, { address: node.address, hostname: node.name }]),
    ),
  };
}

/**
 * The cluster's DHCP server as a process (`stelectl cluster dhcp-server --cluster-dir DIR`, hidden;
 * create starts it detached inside the cluster's network namespace): reads the reservations from
 * qemu-cluster.json, writes `dhcp-server.pid`, logs one line per message, and runs until SIGTERM,
 * so nodes renew their leases as long as the cluster lives.
 */
export async function runClusterDhcpServer(options: { clusterDir: string }): Promise<void> {
  const state = readQemuClusterState(options.clusterDir);
  if (!state) {
    throw new SteleError(
      "not-found",
      `No QEMU cluster in ${options.clusterDir}: qemu-cluster.json is missing`,
      "the DHCP server is started by `stelectl cluster create --provisioner qemu`",
    );
  }
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const server = await startDhcpServer(clusterDhcpConfig(state), { log });
  const pidFile = join(options.clusterDir, "dhcp-server.pid");
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  log(
    `serving ${state.nodes.length} reservation${state.nodes.length === 1 ? "" : "s"} on ${state.cidr} as ${state.dhcpServerAddress}`,
  );
  await new Promise<void>((resolve) => {
    for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, () => resolve());
  });
  await server.close();
  rmSync(pidFile, { force: true });
  log("stopped");
}
