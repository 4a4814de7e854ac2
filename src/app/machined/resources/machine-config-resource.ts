import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const MachineConfigSpecSchema = z.object({ yaml: z.string() });

/** The spec of the MachineConfig resource: the running config's YAML, as applied. */
export type MachineConfigSpec = z.infer<typeof MachineConfigSpecSchema>;

/** The id of the running config's resource (staged configs are not resources). */
export const MACHINE_CONFIG_ID = "v1alpha1";

/**
 * The running machine config, the input of the config-driven controllers. Sensitive: it holds the
 * node's keys and tokens, so apid serves it to os:admin only.
 */
export const MachineConfigResource = defineResourceType<MachineConfigSpec>({
  type: "MachineConfigs.config.stele.dev",
  aliases: ["machineconfig", "mc"],
  defaultNamespace: "config",
  sensitive: true,
  schema: MachineConfigSpecSchema,
});
