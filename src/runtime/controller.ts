import type { Logger } from "./logger.ts";
import type { Resource } from "./resource.ts";
import type { ListOptions, NamespaceOption } from "./resource-store.ts";
import type { ResourceType } from "./resource-type.ts";

/**
 * A resource a controller reads. `weak`: it reacts to changes. `strong`: it also depends on the
 * resources staying until it lets go, so it may put finalizers on them (COSI's distinction).
 */
export interface ControllerInput {
  type: ResourceType<unknown>;
  /** Default: the type's default namespace. */
  namespace?: string;
  /** Restrict the input to one resource. */
  id?: string;
  kind: "weak" | "strong";
}

/**
 * A resource type a controller writes, in one namespace (default: the type's). `exclusive`: no other
 * controller writes this type at all. `shared`: several controllers write it, each its own resources.
 */
export interface ControllerOutput {
  type: ResourceType<unknown>;
  namespace?: string;
  kind: "exclusive" | "shared";
}

/** Options of `ControllerRuntimeAdapter.create` and `update`-like writes of outputs. */
export interface OutputWriteOptions<T> extends NamespaceOption {
  spec: T;
  labels?: Readonly<Record<string, string>>;
}

/** Options of `ControllerRuntimeAdapter.modify`. */
export interface OutputModifyOptions<T> extends NamespaceOption {
  transform: (current: T | undefined) => T | Promise<T>;
  labels?: Readonly<Record<string, string>>;
}

/** Options of `ControllerRuntimeAdapter.cleanupOutputs`. */
export interface CleanupOptions extends NamespaceOption {
  /** Which output type to clean up; may be left out when the controller has exactly one. */
  type?: ResourceType<unknown>;
}

/** What `cleanupOutputs` did: ids destroyed, and ids torn down but still held by finalizers. */
export interface CleanupResult {
  destroyed: string[];
  pending: string[];
}

/**
 * A controller's view of the store: reads limited to its declared inputs (and its outputs), writes
 * limited to its declared outputs and always owned by the controller. The limits are what make the
 * declared graph true, so that `dependencyGraph()` is a map one can trust.
 */
export interface ControllerRuntimeAdapter {
  /** The controller's name, which owns everything it writes. */
  readonly name: string;
  /**
   * Yields once at once (the first reconcile), then once whenever an input changed since the last
   * tick was taken: a burst of changes while the controller reconciles is one tick, not many. Also
   * ticks when an output it tore down lost its last finalizer, so `cleanupOutputs` can finish.
   */
  changes(signal: AbortSignal): AsyncIterableIterator<void>;
  get<T>(type: ResourceType<T>, id: string, options?: NamespaceOption): Resource<T> | undefined;
  list<T>(type: ResourceType<T>, options?: ListOptions): Resource<T>[];
  create<T>(type: ResourceType<T>, id: string, options: OutputWriteOptions<NoInfer<T>>): Resource<T>;
  update<T>(
    type: ResourceType<T>,
    id: string,
    options: OutputWriteOptions<NoInfer<T>> & { expectedVersion: number },
  ): Resource<T>;
  /** Creates or updates an output from its current spec: the usual way a controller writes. */
  modify<T>(
    type: ResourceType<T>,
    id: string,
    options: OutputModifyOptions<NoInfer<T>>,
  ): Promise<Resource<T>>;
  teardown<T>(type: ResourceType<T>, id: string, options?: NamespaceOption): Resource<T>;
  destroy<T>(type: ResourceType<T>, id: string, options?: NamespaceOption): void;
  /** Puts the controller's finalizer on a resource of a `strong` input. */
  addFinalizer<T>(type: ResourceType<T>, id: string, options?: NamespaceOption): Resource<T>;
  /** Takes the controller's finalizer off a resource of a `strong` input. */
  removeFinalizer<T>(type: ResourceType<T>, id: string, options?: NamespaceOption): Resource<T>;
  /**
   * Tears down and destroys the controller's outputs of a type whose ids are not in `keepIds`, the
   * ones it did not produce this round. Those held by finalizers stay tearing down (`pending`) and
   * are destroyed by a later call, after the tick that their last finalizer's removal causes.
   */
  cleanupOutputs(keepIds: Iterable<string>, options?: CleanupOptions): CleanupResult;
}

/**
 * A controller: a name, the resources it reads and writes, and a `run` loop that reconciles on
 * every tick of `rt.changes(signal)` until the signal aborts. If `run` throws, the runtime restarts
 * it with backoff; if it returns, the controller is done and is not restarted.
 */
export interface Controller {
  /** `domain.NameController`, e.g. `network.HostnameController`; unique in a runtime. */
  readonly name: string;
  readonly inputs: readonly ControllerInput[];
  readonly outputs: readonly ControllerOutput[];
  run(rt: ControllerRuntimeAdapter, log: Logger, signal: AbortSignal): Promise<void>;
}
