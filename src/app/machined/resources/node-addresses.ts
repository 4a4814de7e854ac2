import { networkInterfaces } from "node:os";
import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const NodeAddressesSpecSchema = z.object({
  /** `address/prefix`, non-loopback first, in interface order. */
  addresses: z.array(z.string()),
});

/** The spec of a NodeAddresses resource. */
export type NodeAddressesSpec = z.infer<typeof NodeAddressesSpecSchema>;

/** The id of the NodeAddresses resource listing the addresses the node has now. */
export const NODE_ADDRESSES_ID = "current";

/** The node's IP addresses, for the Member resource and for certificates' SANs. */
export const NodeAddresses = defineResourceType<NodeAddressesSpec>({
  type: "NodeAddresses.net.stele.dev",
  aliases: ["nodeaddress", "nodeaddresses"],
  defaultNamespace: "network",
  printColumns: [{ name: "Addresses", path: "spec.addresses" }],
  schema: NodeAddressesSpecSchema,
});

/** The addresses of this host's interfaces, as `address/prefix`, loopback last. */
export function readNodeAddresses(): NodeAddressesSpec {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const sorted = [...all.filter((a) => !a.internal), ...all.filter((a) => a.internal)];
  return { addresses: sorted.map((a) => a.cidr ?? a.address) };
}
