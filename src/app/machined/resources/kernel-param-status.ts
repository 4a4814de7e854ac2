import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const KernelParamStatusSpecSchema = z.object({
  /** The value read back from /proc/sys after any write, whitespace as the kernel prints it. */
  current: z.string(),
  /** The value the config's `sysctls` asks for. */
  desired: z.string(),
  /** The value before Stele first wrote it, restored when the key leaves the config. */
  default: z.string(),
  /** Why the value was not written (not namespaced, no such parameter, refused); empty when it was. */
  unsupportedReason: z.string(),
});

/** The spec of a KernelParamStatus resource. */
export type KernelParamStatusSpec = z.infer<typeof KernelParamStatusSpecSchema>;

/**
 * One kernel parameter of the config's `sysctls` (id = its dotted name), as the node holds it now:
 * what `stelectl get kps` shows to prove a sysctl took effect, or why it could not.
 */
export const KernelParamStatus = defineResourceType<KernelParamStatusSpec>({
  type: "KernelParamStatuses.runtime.stele.dev",
  aliases: ["kernelparamstatus", "kernelparamstatuses", "kps"],
  defaultNamespace: "runtime",
  printColumns: [
    { name: "Current", path: "spec.current" },
    { name: "Default", path: "spec.default" },
    { name: "Unsupported", path: "spec.unsupportedReason" },
  ],
  schema: KernelParamStatusSpecSchema,
});
