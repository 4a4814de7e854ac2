import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const MemberSpecSchema = z.object({
  hostname: z.string(),
  machineType: z.string(),
  addresses: z.array(z.string()),
});

/** The spec of a Member resource. */
export type MemberSpec = z.infer<typeof MemberSpecSchema>;

/**
 * A node this one knows in its cluster (id = the node's hostname). Only this node for now; discovery
 * of the others comes later and fills the same type.
 */
export const Member = defineResourceType<MemberSpec>({
  type: "Members.cluster.stele.dev",
  aliases: ["member", "members"],
  defaultNamespace: "cluster",
  printColumns: [
    { name: "Hostname", path: "spec.hostname" },
    { name: "Type", path: "spec.machineType" },
  ],
  schema: MemberSpecSchema,
});
