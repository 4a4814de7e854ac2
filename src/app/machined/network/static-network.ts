import type { MachineConfig } from "../../../machinery/config/index.ts";
import type { Ipv4Route } from "../../../pkg/linux/index.ts";

/** One interface's static IPv4 settings. */
export interface StaticInterface {
  name: string;
  /** IPv4 addresses with their prefix length; the first is the one SIOCSIFADDR sets. */
  addresses: Array<{ address: string; prefix: number }>;
  routes: Ipv4Route[];
}

/** The static network of a node: what `applyStaticNetwork` sets, and where it came from. */
export interface StaticNetwork {
  /** `config` (machine.network) or `cmdline` (the kernel's `ip=`), for the logs. */
  source: "config" | "cmdline";
  interfaces: StaticInterface[];
  nameservers: string[];
  /** Settings read but not applied, each with why (IPv6, a second address…). */
  skipped: string[];
}

const IPV4_CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/**
 * The static IPv4 network a config asks for (`network.interfaces[]` and `network.nameservers`), or
 * undefined when it names no interface, so that the kernel command line's `ip=` keeps the node
 * reachable. Only what ioctls can set is kept: one IPv4 address per interface (SIOCSIFADDR sets the
 * primary one) and IPv4 routes; IPv6 and MTU are listed in `skipped`. `dhcp: true` is not a static
 * setting: `configureNetwork` reads it.
 */
export function staticNetworkFromConfig(config: MachineConfig): StaticNetwork | undefined {
  const configured = config.network.interfaces ?? [];
  if (configured.length === 0) return undefined;
  const skipped: string[] = [];
  const interfaces = configured.map((entry): StaticInterface => {
    const addresses: StaticInterface["addresses"] = [];
    for (const cidr of entry.addresses ?? []) {
      const match = IPV4_CIDR.exec(cidr);
      if (!match) skipped.push(`${entry.name} ${cidr}: only IPv4 addresses are set so far`);
      else if (addresses.length > 0)
        skipped.push(`${entry.name} ${cidr}: one IPv4 address per interface so far`);
      else addresses.push({ address: match[1]!, prefix: Number(match[2]) });
    }
    const routes: Ipv4Route[] = [];
    for (const route of entry.routes ?? []) {
      const match = IPV4_CIDR.exec(route.network);
      if (!match || route.gateway?.includes(":")) {
        skipped.push(`${entry.name} route ${route.network}: only IPv4 routes are set so far`);
        continue;
      }
      routes.push({
        destination: match[1]!,
        prefix: Number(match[2]),
        ...(route.gateway === undefined ? {} : { gateway: route.gateway }),
        ...(route.metric === undefined ? {} : { metric: route.metric }),
      });
    }
    if (entry.mtu !== undefined) skipped.push(`${entry.name} mtu: not set yet`);
    return { name: entry.name, addresses, routes };
  });
  const nameservers = config.network.nameservers ?? [];
  return { source: "config", interfaces, nameservers, skipped };
}
