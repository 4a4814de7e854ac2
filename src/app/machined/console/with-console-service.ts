import type { LoadedConfig } from "../config/config-store.ts";
import type { Service } from "../system/service.ts";

/**
 * machined's services hook with the console dashboard added, in maintenance mode too (that is when
 * the console matters most: it shows how to give the node its config).
 */
export function withConsoleService(
  services: ((config: LoadedConfig | undefined) => readonly Service[]) | undefined,
  console: Service,
): (config: LoadedConfig | undefined) => readonly Service[] {
  return (config) => [...(services?.(config) ?? []), console];
}
