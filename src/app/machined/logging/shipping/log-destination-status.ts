import { z } from "zod";
import { defineResourceType } from "../../../../runtime/index.ts";

const LogDestinationStatusSpecSchema = z.object({
  /** The destination's endpoint as configured, also the resource id. */
  endpoint: z.string(),
  connected: z.boolean(),
  /** Lines waiting to be sent. */
  queued: z.number().int().nonnegative(),
  /** Lines handed to the connection since the destination was configured. */
  sent: z.number().int().nonnegative(),
  /** Lines dropped (oldest first) while the collector was away or too slow. */
  dropped: z.number().int().nonnegative(),
  /** Why the last connection attempt or connection failed; null while it works. */
  lastError: z.string().nullable(),
  /**
   * For a destination with `kernel: true`: whether the kernel's messages are shipped and, if not,
   * why (a container-platform node does not read the host's kernel log); null when not asked for.
   */
  kernel: z.string().nullable(),
});

/** The spec of a LogDestinationStatus resource. */
export type LogDestinationStatusSpec = z.infer<typeof LogDestinationStatusSpecSchema>;

/**
 * How shipping to one `logging.destinations[]` entry goes, one resource per endpoint: a node has
 * no shell, so `stelectl get logdestinationstatus` is how a user sees that a collector is
 * unreachable or that its certificate is not trusted, and how many lines were lost. Not
 * sensitive: it holds counters and an error, never the CA or a log line.
 */
export const LogDestinationStatus = defineResourceType<LogDestinationStatusSpec>({
  type: "LogDestinationStatuses.logging.stele.dev",
  aliases: ["logdestinationstatus", "logdestinations"],
  defaultNamespace: "runtime",
  printColumns: [
    { name: "Connected", path: "spec.connected" },
    { name: "Queued", path: "spec.queued" },
    { name: "Sent", path: "spec.sent" },
    { name: "Dropped", path: "spec.dropped" },
    { name: "Last Error", path: "spec.lastError" },
    { name: "Kernel", path: "spec.kernel" },
  ],
  schema: LogDestinationStatusSpecSchema,
});
