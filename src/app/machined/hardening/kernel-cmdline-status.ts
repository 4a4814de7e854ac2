import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";

const KernelCmdlineStatusSpecSchema = z.object({
  /** The hardening boot parameter (`slab_nomerge`, `pti=on`…). */
  parameter: z.string(),
  /** Whether /proc/cmdline has it, word for word. */
  present: z.boolean(),
});

/** The spec of a KernelCmdlineStatus resource. */
export type KernelCmdlineStatusSpec = z.infer<typeof KernelCmdlineStatusSpecSchema>;

/** The label telling where a kernel setting comes from: `kspp` (hardening defaults) or the config. */
export const SOURCE_LABEL = "stele.dev/source";

/**
 * One hardening boot parameter (id = the parameter) and whether the running kernel was booted with
 * it: `stelectl get kernelcmdlinestatus` proves what the command line cannot be asked for later.
 */
export const KernelCmdlineStatus = defineResourceType<KernelCmdlineStatusSpec>({
  type: "KernelCmdlineStatuses.runtime.stele.dev",
  aliases: ["kernelcmdlinestatus", "kernelcmdlinestatuses", "kcs"],
  defaultNamespace: "runtime",
  printColumns: [{ name: "Present", path: "spec.present" }],
  schema: KernelCmdlineStatusSpecSchema,
});

/** For each wanted parameter, whether the command line `cmdline` has it as a whole word. */
export function cmdlineParamsPresent(
  cmdline: string,
  wanted: readonly string[],
): Array<{ parameter: string; present: boolean }> {
  const words = new Set(cmdline.trim().split(/\s+/));
  return wanted.map((parameter) => ({ parameter, present: words.has(parameter) }));
}
