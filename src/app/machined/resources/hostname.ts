import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const HostnameSpecSchema = z.object({ hostname: z.string(), domainname: z.string() });

/** The spec of the Hostname resource. */
export type HostnameSpec = z.infer<typeof HostnameSpecSchema>;

/** The id of the one Hostname resource. */
export const HOSTNAME_ID = "hostname";

/** The node's hostname as it is set now: the config's `network.hostname`, or the platform's own. */
export const Hostname = defineResourceType<HostnameSpec>({
  type: "HostnameStatuses.net.stele.dev",
  aliases: ["hostname", "hostnames"],
  defaultNamespace: "network",
  printColumns: [{ name: "Hostname", path: "spec.hostname" }],
  schema: HostnameSpecSchema,
});
