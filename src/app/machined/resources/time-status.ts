import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const TimeStatusSpecSchema = z.object({
  /** Whether the clock is believed to be right. */
  synced: z.boolean(),
  /** Whether machined keeps the clock (NTP on metal); false on container, where the host does. */
  managed: z.boolean(),
  /** The clock when the status was written, ISO 8601. */
  time: z.string(),
  message: z.string(),
});

/** The spec of the TimeStatus resource. */
export type TimeStatusSpec = z.infer<typeof TimeStatusSpecSchema>;

/** The id of the one TimeStatus resource. */
export const TIME_STATUS_ID = "node";

/** Whether the node's clock is synchronised, which certificates and etcd depend on. */
export const TimeStatus = defineResourceType<TimeStatusSpec>({
  type: "TimeStatuses.time.stele.dev",
  aliases: ["timestatus"],
  defaultNamespace: "runtime",
  printColumns: [
    { name: "Synced", path: "spec.synced" },
    { name: "Managed", path: "spec.managed" },
  ],
  schema: TimeStatusSpecSchema,
});
