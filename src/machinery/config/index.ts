/**
 * The machine config library: schemas (the single source of the config's types), the loader, the
 * validator, the serializer, the JSON Schema export and the Kubernetes version policy. Everything a
 * caller may use is named here; anything else in this directory is an implementation detail.
 */

export { ConfigError, isConfigError } from "./config-error.ts";
export { type ConfigIssue, formatConfigIssue, formatConfigIssues, sortConfigIssues } from "./config-issue.ts";
export { CONFIG_SCHEMA_ID_BASE, configJsonSchema } from "./config-json-schema.ts";
export { type ConfigPath, formatConfigPath } from "./config-path.ts";
export { ConfigSourceMap, mapConfigSource, type SourcePosition } from "./config-source-map.ts";
export { documentRef, findDocument, findDocuments } from "./document-ref.ts";
export { resolveKubernetesVersion } from "./kubernetes-version.ts";
export { loadAndValidateConfig } from "./load-and-validate-config.ts";
export { MAX_CONFIG_CHARS, type ParseConfigOptions, type ParsedConfig, parseConfig } from "./parse-config.ts";
export {
  type ClusterConfig,
  type ClusterConfigInput,
  ClusterConfigSchema,
} from "./schema/cluster-config.ts";
export {
  CONFIG_KIND_NAMES,
  CONFIG_KINDS,
  type ConfigDocument,
  type ConfigDocumentOf,
  type ConfigKind,
  type ConfigKindInfo,
  isConfigKind,
} from "./schema/config-kinds.ts";
export { type ExtensionsConfig, ExtensionsConfigSchema } from "./schema/extensions-config.ts";
export { type MachineConfig, type MachineConfigInput, MachineConfigSchema } from "./schema/machine-config.ts";
export { type TrustedKeysConfig, TrustedKeysConfigSchema } from "./schema/trusted-keys-config.ts";
export { type TrustedRootsConfig, TrustedRootsConfigSchema } from "./schema/trusted-roots-config.ts";
export { serializeConfig } from "./serialize-config.ts";
export { suggestClosest } from "./suggest-closest.ts";
export type { ValidationMode, ValidationRule } from "./validate/validation-context.ts";
export { VALIDATION_RULES, type ValidateConfigOptions, validateConfig } from "./validate-config.ts";
