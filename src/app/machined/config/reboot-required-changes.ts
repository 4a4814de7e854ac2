import { isDeepStrictEqual } from "node:util";
import type { MachineConfig } from "../../../machinery/config/index.ts";

/**
 * Fields of the MachineConfig that take effect only at boot: `debug` (how every service is
 * started), `install.*` (what is on disk) and `type` (which services and certificates the node
 * has). Everything else is reconciled live by controllers.
 */
export const REBOOT_REQUIRED_FIELDS = ["type", "debug", "install"] as const;

/**
 * The reboot-only fields that differ between two machine configs, as dotted paths
 * (`install.disk`), sorted; empty when the new config can be applied live.
 */
export function rebootRequiredChanges(before: MachineConfig, after: MachineConfig): string[] {
  const changed: string[] = [];
  if (before.type !== after.type) changed.push("type");
  if (before.debug !== after.debug) changed.push("debug");
  const keys = new Set([...Object.keys(before.install ?? {}), ...Object.keys(after.install ?? {})]);
  const install = (config: MachineConfig) => (config.install ?? {}) as Record<string, unknown>;
  for (const key of keys) {
    if (!isDeepStrictEqual(install(before)[key], install(after)[key])) changed.push(`install.${key}`);
  }
  return changed.sort();
}
