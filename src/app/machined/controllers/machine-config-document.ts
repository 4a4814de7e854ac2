import { parseAllDocuments } from "yaml";

/** The fields of a MachineConfig document that controllers read, loosely typed. */
export interface MachineConfigFields {
  readonly type?: unknown;
  readonly network?: { readonly hostname?: unknown };
}

/**
 * The MachineConfig document of a config's YAML as a plain object. Controllers read the config from
 * the MachineConfig resource, which holds only validated configs, so a plain YAML read suffices
 * (the full loader is for input from users).
 */
export function machineConfigDocument(yaml: string): MachineConfigFields | undefined {
  for (const document of parseAllDocuments(yaml)) {
    const value = document.toJS() as { kind?: unknown } | null;
    if (value?.kind === "MachineConfig") return value as MachineConfigFields;
  }
  return undefined;
}
