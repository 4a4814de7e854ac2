/**
 * The lifecycle phase of a resource. `tearing-down` is announced before a resource is destroyed, so
 * that controllers holding a finalizer on it can release what they built from it first.
 */
export type ResourcePhase = "running" | "tearing-down";

/**
 * What the store knows about a resource besides its spec. The store writes all of it: callers give
 * only the id, the namespace, the labels and (through the controller runtime) the owner.
 */
export interface ResourceMetadata {
  readonly namespace: string;
  /** The resource type's name, e.g. `Hostnames.net.stele.dev`. */
  readonly type: string;
  readonly id: string;
  /**
   * Starts at 1 and grows by one on every change (spec, labels, phase, finalizers). A number, not a
   * bigint: 2^53 changes of one resource will not happen, and numbers survive JSON unharmed.
   */
  readonly version: number;
  readonly phase: ResourcePhase;
  /** The controller that wrote the resource, or null when something else did (the API, a test). */
  readonly owner: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly created: Date;
  readonly updated: Date;
  /** Parties that must let go before the resource may be destroyed; kept sorted. */
  readonly finalizers: readonly string[];
}

/**
 * A typed resource as the store hands it out: a frozen snapshot. Nobody can change the store by
 * mutating what it returned, so watchers and readers may share one object without copying it.
 * (The two `Date`s cannot be frozen; treat them as read-only too.)
 */
export interface Resource<T> {
  readonly metadata: ResourceMetadata;
  readonly spec: T;
}

/**
 * One event of a watch, in the order the store committed the changes.
 * - `created`, `updated`, `destroyed` carry the resource (for `destroyed`, its last state);
 * - `bootstrapped` marks the end of the initial listing of a `tailEvents: "bootstrapped"` watch;
 * - `errored` is the last event of a watch that could not go on (it fell behind); re-watch to resync.
 */
export type WatchEvent<T> =
  | { readonly kind: "created" | "updated" | "destroyed"; readonly resource: Resource<T> }
  | { readonly kind: "bootstrapped" }
  | { readonly kind: "errored"; readonly error: Error };
