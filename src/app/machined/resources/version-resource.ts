import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const VersionSpecSchema = z.object({
  tag: z.string(),
  nodeVersion: z.string(),
  platform: z.string(),
  arch: z.string(),
});

/** The spec of the Version resource. */
export type VersionSpec = z.infer<typeof VersionSpecSchema>;

/** The id of the one Version resource. */
export const VERSION_ID = "version";

/** What the node runs: the Stele release, the Node.js runtime and the platform. */
export const VersionResource = defineResourceType<VersionSpec>({
  type: "Versions.runtime.stele.dev",
  aliases: ["version"],
  defaultNamespace: "runtime",
  printColumns: [{ name: "Tag", path: "spec.tag" }],
  schema: VersionSpecSchema,
});
