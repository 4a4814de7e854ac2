import { netmaskToPrefix } from "../../../pkg/linux/index.ts";
import type { StaticNetwork } from "./static-network.ts";

/**
 * The static network of the kernel command line's `ip=<client>:<server>:<gw>:<netmask>:<host>:<dev>:<autoconf>`
 * (the kernel's nfsroot syntax, e.g. `ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off`), or undefined
 * when there is none or it asks for autoconfiguration. Debian's cloud kernel has no IP_PNP, so the
 * word reaches userspace untouched; this is how a VM is reachable before it has a config. A gateway
 * becomes a default route; a missing netmask means /24 is not guessed: the word is refused.
 */
export function kernelIpNetwork(cmdline: string): StaticNetwork | undefined {
  const word = cmdline
    .trim()
    .split(/\s+/)
    .findLast((w) => w.startsWith("ip="));
  if (word === undefined) return undefined;
  const [client = "", , gateway = "", netmask = "", , device = "", autoconf = "off"] = word
    .slice("ip=".length)
    .split(":");
  if (client === "" || device === "" || netmask === "" || !["off", "none", "static"].includes(autoconf)) {
    return undefined;
  }
  const prefix = netmaskToPrefix(netmask);
  return {
    source: "cmdline",
    interfaces: [
      {
        name: device,
        addresses: [{ address: client, prefix }],
        routes: gateway === "" ? [] : [{ destination: "0.0.0.0", prefix: 0, gateway }],
      },
    ],
    nameservers: [],
    skipped: [],
  };
}
