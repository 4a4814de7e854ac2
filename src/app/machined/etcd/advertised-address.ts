import { BlockList, isIP } from "node:net";
import { isLoopback } from "./etcd-args.ts";

/**
 * The address this node's etcd advertises to peers and clients: the first node address inside one
 * of `advertisedSubnets` when the config sets them (a node with several networks chooses the one its
 * peers reach), else the node's first IPv4 address that is not loopback. Undefined when no address
 * qualifies (the network is not up yet). Node addresses may carry a prefix length (`10.5.0.2/24`).
 */
export function etcdAdvertisedAddress(
  nodeAddresses: readonly string[],
  options: { advertisedSubnets?: readonly string[] | undefined } = {},
): string | undefined {
  const addresses = nodeAddresses
    .map((entry) => entry.split("/")[0]!)
    .filter((address) => isIP(address) !== 0);
  const subnets = options.advertisedSubnets ?? [];
  if (subnets.length === 0) return addresses.find((address) => isIP(address) === 4 && !isLoopback(address));
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network = "", prefix = ""] = subnet.split("/");
    const family = isIP(network);
    if (family === 0) continue;
    list.addSubnet(
      network,
      prefix === "" ? (family === 4 ? 32 : 128) : Number(prefix),
      family === 4 ? "ipv4" : "ipv6",
    );
  }
  return addresses.find((address) => list.check(address, isIP(address) === 4 ? "ipv4" : "ipv6"));
}
