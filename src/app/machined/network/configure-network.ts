import { parseConfig } from "../../../machinery/config/parse-config.ts";
import { type AppliedNetwork, applyStaticNetwork, type NetworkCalls } from "./apply-static-network.ts";
import { kernelIpNetwork } from "./kernel-ip-param.ts";
import { type StaticNetwork, staticNetworkFromConfig } from "./static-network.ts";

/** What {@link configureNetwork} chose and what it did. */
export interface ConfiguredNetwork {
  network: StaticNetwork | undefined;
  result: AppliedNetwork;
}

/**
 * The static network of a metal node, applied: the config's `network.interfaces` when it has any,
 * else the kernel command line's `ip=` (maintenance mode, or a config that leaves the network to
 * the boot loader), else only `lo` up. A config that does not parse counts as none: boot reports
 * its errors, and the node stays reachable through `ip=` to be given a better one.
 */
export function configureNetwork(
  configText: string | undefined,
  options: { cmdline: string; calls: NetworkCalls },
): ConfiguredNetwork {
  let fromConfig: StaticNetwork | undefined;
  if (configText !== undefined) {
    try {
      fromConfig = staticNetworkFromConfig(parseConfig(configText, { file: "config.yaml" }).machineConfig);
    } catch {
      fromConfig = undefined;
    }
  }
  let network = fromConfig;
  if (network === undefined) {
    try {
      network = kernelIpNetwork(options.cmdline);
    } catch {
      network = undefined;
    }
  }
  return { network, result: applyStaticNetwork(network, options.calls) };
}
