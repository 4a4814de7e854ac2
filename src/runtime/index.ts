/**
 * The resource store and controller runtime of machined (COSI-like). Curated exports: what is not
 * listed here (watch feeds, change ticks, the adapter factory, ring buffer) is internal.
 */
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
export { type Clock, systemClock } from "./clock.ts";
export type {
  CleanupOptions,
  CleanupResult,
  Controller,
  ControllerInput,
  ControllerOutput,
  ControllerRuntimeAdapter,
  OutputModifyOptions,
  OutputWriteOptions,
} from "./controller.ts";
export {
  ControllerRuntime,
  type ControllerRuntimeOptions,
  type ControllerState,
  type ControllerStatus,
} from "./controller-runtime.ts";
export {
  buildDependencyGraph,
  type DependencyEdge,
  type DependencyGraph,
  formatGraphDot,
} from "./dependency-graph.ts";
export {
  type LabelRequirement,
  type LabelSelector,
  matchesLabelSelector,
  parseLabelSelector,
} from "./label-selector.ts";
export { type Logger, silentLogger, withFields } from "./logger.ts";
export { printColumnValues } from "./print-column-values.ts";
export type { Resource, ResourceMetadata, ResourcePhase, WatchEvent } from "./resource.ts";
export {
  type CreateOptions,
  type FinalizerOptions,
  type LifecycleOptions,
  type ListOptions,
  type ModifyOptions,
  type NamespaceOption,
  type OwnerOption,
  ResourceStore,
  type ResourceStoreOptions,
  type SubscribeOptions,
  type UpdateOptions,
  type WatchOptions,
} from "./resource-store.ts";
export {
  defineResourceType,
  type PrintColumn,
  type ResourceType,
  type ResourceTypeDefinition,
} from "./resource-type.ts";
export type { ResourceWatch } from "./resource-watch.ts";
