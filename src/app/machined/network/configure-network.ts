import type { MachineConfig } from "../../../machinery/config/index.ts";
import { parseConfig } from "../../../machinery/config/parse-config.ts";
import { type AppliedNetwork, applyStaticNetwork, type NetworkCalls } from "./apply-static-network.ts";
import type { DhcpTargets } from "./dhcp-network.ts";
import { listPhysicalEthernet } from "./ethernet-links.ts";
import { kernelIpNetwork } from "./kernel-ip-param.ts";
import { type StaticNetwork, staticNetworkFromConfig } from "./static-network.ts";

/** What {@link configureNetwork} chose and what it did. */
export interface ConfiguredNetwork {
  network: StaticNetwork | undefined;
  result: AppliedNetwork;
  /** The interfaces DHCP runs on, and why: `config` (`dhcp: true`), `automatic` (nothing else says how), or none. */
  dhcp: { interfaces: string[]; source: "config" | "automatic" | "none" };
}

/** Options of {@link configureNetwork}. */
export interface ConfigureNetworkOptions {
  /** The kernel command line (`ip=`). */
  cmdline: string;
  calls: NetworkCalls;
  /** Where DHCP runs (a node's DhcpNetwork); without it only the static network is applied. */
  dhcp?: { configure(targets: DhcpTargets): void };
  /** The machine's physical Ethernet interfaces (default: from /sys/class/net); tests pass a list. */
  physicalEthernet?: () => string[];
}

/**
 * The network of a metal node, applied: the config's `network.interfaces` when it has any (static
 * settings, and DHCP on those with `dhcp: true`), else the kernel command line's `ip=`
 * (maintenance mode, or a config that leaves the network to the boot loader), else DHCP on every
 * physical Ethernet interface: a machine booted from the ISO, or a raw image under OVMF, with no
 * config and no `ip=`, must still become reachable, and DHCP is what nearly every network offers.
 * A config that does not parse counts as none: boot reports its errors, and the node stays
 * reachable to be given a better one. DHCP never blocks: leases are applied whenever they come.
 */
export function configureNetwork(
  configText: string | undefined,
  options: ConfigureNetworkOptions,
): ConfiguredNetwork {
  let config: MachineConfig | undefined;
  if (configText !== undefined) {
    try {
      config = parseConfig(configText, { file: "config.yaml" }).machineConfig;
    } catch {
      config = undefined;
    }
  }
  const fromConfig = config === undefined ? undefined : staticNetworkFromConfig(config);
  let network = fromConfig;
  if (network === undefined) {
    try {
      network = kernelIpNetwork(options.cmdline);
    } catch {
      network = undefined;
    }
  }
  const result = applyStaticNetwork(network, options.calls);
  const dhcp: ConfiguredNetwork["dhcp"] =
    fromConfig !== undefined
      ? {
          interfaces: (config?.network.interfaces ?? [])
            .filter((entry) => entry.dhcp)
            .map((entry) => entry.name),
          source: "config",
        }
      : network === undefined
        ? { interfaces: (options.physicalEthernet ?? listPhysicalEthernet)(), source: "automatic" }
        : { interfaces: [], source: "none" };
  if (dhcp.interfaces.length === 0) dhcp.source = "none";
  const hostname = config?.network.hostname;
  options.dhcp?.configure({
    interfaces: dhcp.interfaces,
    staticNameservers: network?.nameservers ?? [],
    staticallyAddressed: (network?.interfaces ?? [])
      .filter((entry) => entry.addresses.length > 0)
      .map((entry) => entry.name),
    ...(hostname === undefined ? {} : { hostname }),
  });
  return { network, result, dhcp };
}
