import { createHash } from "node:crypto";

/**
 * The MAC address of a cluster VM's NIC, derived from the cluster's and the node's names: the same
 * node gets the same MAC on every create (so the DHCP server's table and the guest's view agree, and
 * a console log from yesterday still matches), and two nodes get different ones. QEMU's own OUI
 * `52:54:00` (locally administered, unicast) keeps it from looking like real hardware's.
 */
export function nodeMac(clusterName: string, nodeName: string): string {
  const digest = createHash("sha256").update(`${clusterName}\0${nodeName}`).digest();
  return ["52", "54", "00", ...[0, 1, 2].map((i) => digest[i]!.toString(16).padStart(2, "0"))].join(":");
}
