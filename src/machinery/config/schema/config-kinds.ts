import type { z } from "zod";
import { type ClusterConfig, ClusterConfigSchema } from "./cluster-config.ts";
import { type ExtensionsConfig, ExtensionsConfigSchema } from "./extensions-config.ts";
import { type MachineConfig, MachineConfigSchema } from "./machine-config.ts";
import { type TrustedKeysConfig, TrustedKeysConfigSchema } from "./trusted-keys-config.ts";
import { type TrustedRootsConfig, TrustedRootsConfigSchema } from "./trusted-roots-config.ts";

/** What the loader, the validator and the reference need to know about a document kind. */
export interface ConfigKindInfo {
  schema: z.ZodType;
  /** Whether several documents of the kind may appear, told apart by `name`. */
  repeatable: boolean;
  /** Whether a machine config file must contain exactly one. */
  required: boolean;
}

/**
 * The registry of document kinds a machine config may contain, in the order the reference lists
 * them and the serializer writes them. Adding a kind here makes the loader, JSON Schema and
 * reference pick it up.
 */
export const CONFIG_KINDS = {
  MachineConfig: { schema: MachineConfigSchema, repeatable: false, required: true },
  ClusterConfig: { schema: ClusterConfigSchema, repeatable: false, required: false },
  TrustedKeysConfig: { schema: TrustedKeysConfigSchema, repeatable: false, required: false },
  ExtensionsConfig: { schema: ExtensionsConfigSchema, repeatable: false, required: false },
  TrustedRootsConfig: { schema: TrustedRootsConfigSchema, repeatable: true, required: false },
} as const satisfies Record<string, ConfigKindInfo>;

/** The name of a document kind. */
export type ConfigKind = keyof typeof CONFIG_KINDS;

/** Every kind name, in registry order. */
export const CONFIG_KIND_NAMES = Object.keys(CONFIG_KINDS) as ConfigKind[];

/** Whether a text names a document kind of a machine config. */
export function isConfigKind(value: unknown): value is ConfigKind {
  return typeof value === "string" && Object.hasOwn(CONFIG_KINDS, value);
}

/** Any parsed document, discriminated by `kind`. */
export type ConfigDocument =
  | MachineConfig
  | ClusterConfig
  | TrustedKeysConfig
  | ExtensionsConfig
  | TrustedRootsConfig;

/** The parsed document type of one kind. */
export type ConfigDocumentOf<K extends ConfigKind> = Extract<ConfigDocument, { kind: K }>;
