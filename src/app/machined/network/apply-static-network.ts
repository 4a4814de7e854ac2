import { writeFileSync } from "node:fs";
import { addRoute, type Ipv4Route, setInterfaceAddress, setInterfaceUp } from "../../../pkg/linux/index.ts";
import type { StaticNetwork } from "./static-network.ts";

/** The system calls of {@link applyStaticNetwork}; tests pass spies. */
export interface NetworkCalls {
  up: (name: string) => void;
  address: (name: string, address: string, prefix: number) => void;
  route: (route: Ipv4Route) => void;
  writeResolvConf: (text: string) => void;
}

/** The real calls: ioctls through src/pkg/linux, a re-added route being no error. */
export function ioctlNetworkCalls(resolvConf: string): NetworkCalls {
  return {
    up: setInterfaceUp,
    address: setInterfaceAddress,
    route: (route) => addRoute(route, { ignoreExisting: true }),
    writeResolvConf: (text) => writeFileSync(resolvConf, text, { mode: 0o644 }),
  };
}

/** What {@link applyStaticNetwork} did: the steps done and the ones the kernel refused. */
export interface AppliedNetwork {
  applied: string[];
  failed: string[];
}

/**
 * Sets a static network: `lo` up, then for each interface its address and up, then its routes
 * (after the address, since a gateway must be on a subnet the interface has), then resolv.conf.
 * A failing step is recorded and the rest goes on: one absent interface must not leave the node
 * unreachable on the others.
 */
export function applyStaticNetwork(network: StaticNetwork | undefined, calls: NetworkCalls): AppliedNetwork {
  const applied: string[] = [];
  const failed: string[] = [];
  const step = (what: string, run: () => void) => {
    try {
      run();
      applied.push(what);
    } catch (error) {
      failed.push(`${what}: ${(error as Error).message}`);
    }
  };
  step("lo up", () => calls.up("lo"));
  for (const entry of network?.interfaces ?? []) {
    for (const { address, prefix } of entry.addresses) {
      step(`${entry.name} ${address}/${prefix}`, () => calls.address(entry.name, address, prefix));
    }
    step(`${entry.name} up`, () => calls.up(entry.name));
    for (const route of entry.routes) {
      const name = `${route.destination}/${route.prefix} via ${route.gateway ?? "on-link"}`;
      step(`route ${name}`, () => calls.route(route));
    }
  }
  if (network && network.nameservers.length > 0) {
    const text = network.nameservers.map((server) => `nameserver ${server}\n`).join("");
    step(`nameservers ${network.nameservers.join(" ")}`, () => calls.writeResolvConf(text));
  }
  return { applied, failed };
}
