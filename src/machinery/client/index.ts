/**
 * The client config of stelectl (stelectlconfig, like talosconfig): reading, writing, merging,
 * choosing a context, and minting a new one from the OS API CA.
 */
export {
  CLIENT_CONFIG_ENV,
  type ClientConfig,
  type ClientContext,
  clientConfigSchema,
  clientContextSchema,
  DEFAULT_CLIENT_CONFIG_PATH,
  emptyClientConfig,
  parseClientConfig,
  resolveClientConfigPath,
  serializeClientConfig,
} from "./client-config.ts";
export { type MergeClientConfigResult, mergeClientConfig } from "./merge-client-config.ts";
export {
  DEFAULT_CLIENT_CERTIFICATE_TTL_MS,
  DEFAULT_CLIENT_COMMON_NAME,
  type MintClientConfigOptions,
  mintClientConfig,
} from "./mint-client-config.ts";
export {
  type EnsureContextOptions,
  ensureContext,
  type SelectedContext,
  selectContext,
} from "./select-context.ts";
