import type { Controller } from "../../../runtime/index.ts";
import type { Platform } from "../platform/platform.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { machineConfigDocument } from "./machine-config-document.ts";

/**
 * Sets the node's hostname from the running config's `network.hostname`, or keeps the platform's
 * own when the config names none, and publishes it as the Hostname resource.
 */
export function hostnameController(platform: Platform): Controller {
  const initial = platform.hostname();
  return {
    name: "network.HostnameController",
    inputs: [{ type: MachineConfigResource, kind: "weak" }],
    outputs: [{ type: Hostname, kind: "exclusive" }],
    async run(rt, log, signal) {
      for await (const _ of rt.changes(signal)) {
        const config = rt.get(MachineConfigResource, MACHINE_CONFIG_ID);
        const wanted = (config && configuredHostname(config.spec.yaml)) ?? initial;
        const [hostname = wanted, ...domain] = wanted.split(".");
        if (platform.hostname() !== wanted) {
          await platform.setHostname(wanted);
          log.info({ hostname: wanted }, "Hostname set");
        }
        await rt.modify(Hostname, HOSTNAME_ID, {
          transform: () => ({ hostname, domainname: domain.join(".") }),
        });
      }
    },
  };
}

/** `network.hostname` of the MachineConfig document in a config, if set. */
function configuredHostname(yaml: string): string | undefined {
  const hostname = machineConfigDocument(yaml)?.network?.hostname;
  return typeof hostname === "string" ? hostname : undefined;
}
