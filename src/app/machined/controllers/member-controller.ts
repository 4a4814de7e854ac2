import type { Controller } from "../../../runtime/index.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { Member } from "../resources/member.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { machineConfigDocument } from "./machine-config-document.ts";

/**
 * Publishes this node as a Member of its cluster (hostname, machine type, addresses), the entry
 * discovery will later add the other nodes beside. Nothing is published until the hostname is known.
 */
export const memberController: Controller = {
  name: "cluster.LocalMemberController",
  inputs: [
    { type: Hostname, kind: "weak" },
    { type: NodeAddresses, kind: "weak" },
    { type: MachineConfigResource, kind: "weak" },
  ],
  outputs: [{ type: Member, kind: "exclusive" }],
  async run(rt, _log, signal) {
    for await (const _ of rt.changes(signal)) {
      const hostname = rt.get(Hostname, HOSTNAME_ID)?.spec;
      if (!hostname) continue;
      const fqdn = [hostname.hostname, hostname.domainname].filter(Boolean).join(".");
      const addresses = rt.get(NodeAddresses, NODE_ADDRESSES_ID)?.spec.addresses ?? [];
      const config = rt.get(MachineConfigResource, MACHINE_CONFIG_ID);
      const machineType = config ? machineTypeOf(config.spec.yaml) : "unknown";
      await rt.modify(Member, hostname.hostname, {
        transform: () => ({ hostname: fqdn, machineType, addresses }),
      });
      rt.cleanupOutputs([hostname.hostname]);
    }
  },
};

function machineTypeOf(yaml: string): string {
  const type = machineConfigDocument(yaml)?.type;
  return typeof type === "string" ? type : "unknown";
}
