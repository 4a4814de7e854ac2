import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

/** The stages of a node's life that machined reports; a subset of the API's MachineStage. */
export const MACHINE_STAGES = [
  "booting",
  "maintenance",
  "running",
  "rebooting",
  "shuttingdown",
  "resetting",
] as const;

/** Where the node is in its life. */
export type MachineStage = (typeof MACHINE_STAGES)[number];

const MachineStatusSpecSchema = z.object({
  stage: z.enum(MACHINE_STAGES),
  ready: z.boolean(),
  unmetConditions: z.array(z.object({ name: z.string(), reason: z.string() })),
});

/** The spec of the MachineStatus resource. */
export type MachineStatusSpec = z.infer<typeof MachineStatusSpecSchema>;

/** The id of the one MachineStatus resource. */
export const MACHINE_STATUS_ID = "machine";

/**
 * The node's stage and readiness (`stelectl get machinestatus`): what a provisioner waits on. Ready
 * means running with every service up; otherwise the unmet conditions say what is missing.
 */
export const MachineStatus = defineResourceType<MachineStatusSpec>({
  type: "MachineStatuses.runtime.stele.dev",
  aliases: ["machinestatus", "ms"],
  defaultNamespace: "runtime",
  printColumns: [
    { name: "Stage", path: "spec.stage" },
    { name: "Ready", path: "spec.ready" },
  ],
  schema: MachineStatusSpecSchema,
});
