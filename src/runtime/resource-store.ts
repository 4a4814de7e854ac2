import { isDeepStrictEqual } from "node:util";
import { SteleError } from "../machinery/errors.ts";
import { deepFreeze } from "./deep-freeze.ts";
import {
  checkLabel,
  type LabelSelector,
  matchesLabelSelector,
  parseLabelSelector,
} from "./label-selector.ts";
import type { Resource, ResourceMetadata, WatchEvent } from "./resource.ts";
import { checkNamespace, type ResourceType } from "./resource-type.ts";
import { createWatchFeed, type ResourceWatch, type WatchFeed } from "./resource-watch.ts";
import { RingBuffer } from "./ring-buffer.ts";

/** How a `ResourceStore` is sized. The defaults suit machined: hundreds of resources, a few watchers. */
export interface ResourceStoreOptions {
  /** Most live events a watch holds for its consumer before it is ended with `errored` (default 4096). */
  watchQueueCapacity?: number;
  /** Recent events kept per namespace and type for `tailEvents: n` (default 1024). */
  historyCapacity?: number;
  /** The clock of `created`/`updated`; tests pass a fixed one. */
  now?: () => Date;
  /** Where an exception thrown by a `subscribe` listener goes (default: a process warning). */
  onListenerError?: (error: unknown) => void;
}

/** Names a namespace other than the type's default one. */
export interface NamespaceOption {
  namespace?: string;
}

/** Options of `ResourceStore.list`. */
export interface ListOptions extends NamespaceOption {
  /** kubectl syntax (`app=etcd,!legacy`) or a parsed selector. */
  labelSelector?: string | LabelSelector;
}

/** Options of `ResourceStore.watch`. */
export interface WatchOptions extends NamespaceOption {
  /** Watch one resource only. */
  id?: string;
  /** Ends the watch when aborted. Required: a watch holds a subscription until then. */
  signal: AbortSignal;
  /**
   * Where the watch starts. Absent: with the next change. `"bootstrapped"`: a `created` event for
   * every existing resource (by id), then `bootstrapped`, then changes. A number n: the last n
   * events still in history (at most `historyCapacity`), then changes.
   */
  tailEvents?: number | "bootstrapped";
}

/** Who writes: a controller's name, or null for anything that is not a controller. */
export interface OwnerOption {
  owner?: string | null;
}

/** Options of `ResourceStore.create`. */
export interface CreateOptions<T> extends NamespaceOption, OwnerOption {
  spec: T;
  labels?: Readonly<Record<string, string>>;
}

/** Options of `ResourceStore.update`. */
export interface UpdateOptions<T> extends NamespaceOption, OwnerOption {
  /** The version the caller read; the update fails if the resource has changed since. */
  expectedVersion: number;
  spec: T;
  /** Replaces the labels when given; keeps them otherwise. */
  labels?: Readonly<Record<string, string>>;
}

/** Options of `ResourceStore.modify`. */
export interface ModifyOptions<T> extends NamespaceOption, OwnerOption {
  /** Computes the new spec from the current one (undefined when the resource does not exist yet). */
  transform: (current: T | undefined) => T | Promise<T>;
  /** Replaces the labels when given; keeps them otherwise. */
  labels?: Readonly<Record<string, string>>;
  /** How many times to re-read and re-run `transform` after a concurrent change (default 8). */
  retries?: number;
}

/** Options of `teardown` and `destroy`. */
export interface LifecycleOptions extends NamespaceOption, OwnerOption {
  /** Fail unless the resource is still at this version. */
  expectedVersion?: number;
}

/** Options of `addFinalizer` and `removeFinalizer`. */
export interface FinalizerOptions extends NamespaceOption {
  finalizer: string;
}

/** Options of `ResourceStore.subscribe`. */
export interface SubscribeOptions<T> extends NamespaceOption {
  id?: string;
  /** Called synchronously, in commit order, inside the write: keep it cheap, and do not throw. */
  onEvent: (event: WatchEvent<T>) => void;
}

interface Listener {
  readonly id: string | undefined;
  /** The commit sequence number at subscription: older events are already in the subscriber's view. */
  readonly since: number;
  readonly onEvent: (event: WatchEvent<unknown>) => void;
}

interface StoredEvent {
  readonly seq: number;
  readonly event: WatchEvent<unknown> & { readonly resource: Resource<unknown> };
}

interface Bucket {
  readonly resources: Map<string, Resource<unknown>>;
  readonly history: RingBuffer<StoredEvent>;
  readonly listeners: Set<Listener>;
}

const DEFAULT_WATCH_QUEUE_CAPACITY = 4096;
const DEFAULT_HISTORY_CAPACITY = 1024;
const DEFAULT_MODIFY_RETRIES = 8;

/**
 * The in-memory resource store of machined, modelled on COSI's: typed resources keyed by
 * (namespace, type, id), each write checked against the caller's expected version and against the
 * resource's owner, and every committed change delivered to watchers in commit order.
 *
 * Writes are synchronous: a write and the delivery of its event happen in one turn of the event
 * loop, which is what makes "a watcher sees every change exactly once, in order" simple to keep.
 * Resources come out frozen, so readers share them without copies.
 */
export class ResourceStore {
  readonly #watchQueueCapacity: number;
  readonly #historyCapacity: number;
  readonly #now: () => Date;
  readonly #onListenerError: (error: unknown) => void;
  readonly #types = new Map<string, ResourceType<unknown>>();
  /** Lower-case type names and aliases, for `resolveType`. */
  readonly #names = new Map<string, ResourceType<unknown>>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #feeds = new Set<WatchFeed<unknown>>();
  #seq = 0;
  #pending: Array<[Bucket, StoredEvent]> = [];
  #emitting = false;
  #closed = false;

  constructor(options: ResourceStoreOptions = {}) {
    this.#watchQueueCapacity = positiveInteger(
      options.watchQueueCapacity ?? DEFAULT_WATCH_QUEUE_CAPACITY,
      "watchQueueCapacity",
    );
    this.#historyCapacity = positiveInteger(
      options.historyCapacity ?? DEFAULT_HISTORY_CAPACITY,
      "historyCapacity",
    );
    this.#now = options.now ?? (() => new Date());
    this.#onListenerError =
      options.onListenerError ??
      ((error) => process.emitWarning(`Resource store listener failed: ${String(error)}`, "SteleWarning"));
  }

  /**
   * Makes a type known to `resolveType` (the API and CLI look types up by name or alias). Types are
   * also registered on first use; registering another definition under a taken name or alias fails.
   */
  registerType(type: ResourceType<unknown>): void {
    const known = this.#types.get(type.type);
    if (known === type) return;
    const names = [type.type.toLowerCase(), ...type.aliases];
    const clash = known ?? names.map((name) => this.#names.get(name)).find((t) => t !== undefined);
    if (clash) {
      throw new SteleError(
        "already-exists",
        `Cannot register resource type ${type.type}: its name or an alias is taken by ${clash.type}`,
        "Define each resource type once, in one module, and give it unique aliases",
      );
    }
    this.#types.set(type.type, type);
    for (const name of names) this.#names.set(name, type);
  }

  /** Finds a registered type by its name (any case) or an alias, as users type them. */
  resolveType(name: string): ResourceType<unknown> {
    const type = this.#names.get(name.toLowerCase());
    if (!type) {
      const known = this.types().map((t) => [t.type, ...t.aliases].join("|"));
      throw new SteleError(
        "not-found",
        `Unknown resource type: ${JSON.stringify(name)}`,
        `Known types: ${known.join(", ") || "none"}`,
      );
    }
    return type;
  }

  /** The registered types, by name. */
  types(): ResourceType<unknown>[] {
    return [...this.#types.values()].sort((a, b) => compare(a.type, b.type));
  }

  /** How many watches are open, for diagnostics and for tests that check nothing leaks. */
  get watcherCount(): number {
    return this.#feeds.size;
  }

  /** The resource, or undefined when there is none. */
  get<T>(type: ResourceType<T>, id: string, options: NamespaceOption = {}): Resource<T> | undefined {
    const namespace = this.#namespace(type, options);
    return this.#bucket(namespace, type, false)?.resources.get(id) as Resource<T> | undefined;
  }

  /** The resources of a type in a namespace, sorted by id, optionally filtered by labels. */
  list<T>(type: ResourceType<T>, options: ListOptions = {}): Resource<T>[] {
    const namespace = this.#namespace(type, options);
    const bucket = this.#bucket(namespace, type, false);
    if (!bucket) return [];
    const selector =
      typeof options.labelSelector === "string"
        ? parseLabelSelector(options.labelSelector)
        : (options.labelSelector ?? []);
    const out: Resource<T>[] = [];
    for (const resource of bucket.resources.values()) {
      if (matchesLabelSelector(selector, resource.metadata.labels)) out.push(resource as Resource<T>);
    }
    return out.sort((a, b) => compare(a.metadata.id, b.metadata.id));
  }

  /**
   * Watches the resources of a type in a namespace (or one of them). See `ResourceWatch` for when it
   * ends and `createWatchFeed` for what happens to a consumer that cannot keep up.
   */
  watch<T>(type: ResourceType<T>, options: WatchOptions): ResourceWatch<T> {
    this.#checkOpen("watch");
    const namespace = this.#namespace(type, options);
    const { id, signal, tailEvents } = options;
    const bucket = this.#bucket(namespace, type, true);
    const prefix: WatchEvent<unknown>[] = [];
    if (tailEvents === "bootstrapped") {
      const resources =
        id === undefined ? this.list(type, { namespace }) : [this.get(type, id, { namespace })];
      for (const resource of resources) if (resource) prefix.push({ kind: "created", resource });
      prefix.push({ kind: "bootstrapped" });
    } else if (tailEvents !== undefined) {
      if (!Number.isInteger(tailEvents) || tailEvents < 0 || tailEvents > this.#historyCapacity) {
        throw new SteleError(
          "invalid-argument",
          `Invalid tailEvents: ${tailEvents} is not a whole number from 0 to ${this.#historyCapacity}`,
          `The store keeps the last ${this.#historyCapacity} events per type; use "bootstrapped" to start from the current state`,
        );
      }
      const history = bucket.history
        .toArray()
        .filter((e) => id === undefined || e.event.resource.metadata.id === id);
      for (const stored of history.slice(Math.max(0, history.length - tailEvents))) prefix.push(stored.event);
    }
    // `feed` is unset while createWatchFeed runs, which calls onEnd at once if the signal is aborted.
    let feed: WatchFeed<unknown> | undefined;
    const listener: Listener = { id, since: this.#seq, onEvent: (event) => feed?.deliver(event) };
    feed = createWatchFeed<unknown>({
      prefix,
      capacity: this.#watchQueueCapacity,
      signal,
      onEnd: () => {
        bucket.listeners.delete(listener);
        if (feed) this.#feeds.delete(feed);
      },
    });
    if (!signal.aborted) {
      bucket.listeners.add(listener);
      this.#feeds.add(feed);
    }
    return feed.watch as ResourceWatch<T>;
  }

  /**
   * Calls `onEvent` for every change of a type in a namespace (or of one resource) until the returned
   * function is called. The low-level hook under `watch`, without a queue: for in-process consumers
   * that only note that something changed, such as a controller's change ticks.
   */
  subscribe<T>(type: ResourceType<T>, options: SubscribeOptions<NoInfer<T>>): () => void {
    this.#checkOpen("subscribe");
    const bucket = this.#bucket(this.#namespace(type, options), type, true);
    const listener: Listener = {
      id: options.id,
      since: this.#seq,
      onEvent: options.onEvent as (event: WatchEvent<unknown>) => void,
    };
    bucket.listeners.add(listener);
    return () => {
      bucket.listeners.delete(listener);
    };
  }

  /** Creates a resource at version 1; fails with "already-exists" if the id is taken. */
  create<T>(type: ResourceType<T>, id: string, options: CreateOptions<NoInfer<T>>): Resource<T> {
    this.#checkOpen("create");
    const namespace = this.#namespace(type, options);
    checkId(id);
    const bucket = this.#bucket(namespace, type, true);
    if (bucket.resources.has(id)) {
      throw new SteleError(
        "already-exists",
        `Resource already exists: ${type.type} ${namespace}/${id}`,
        "Update it instead, or use modify, which creates or updates",
      );
    }
    const now = this.#now();
    const resource = deepFreeze<Resource<unknown>>({
      metadata: {
        namespace,
        type: type.type,
        id,
        version: 1,
        phase: "running",
        owner: options.owner ?? null,
        labels: copyLabels(options.labels ?? {}),
        created: now,
        updated: now,
        finalizers: [],
      },
      spec: parseSpec(type, `${namespace}/${id}`, options.spec),
    });
    bucket.resources.set(id, resource);
    this.#commit(bucket, "created", resource);
    return resource as Resource<T>;
  }

  /**
   * Replaces the spec (and the labels, if given) of a resource, if it is still at `expectedVersion`
   * and the caller owns it. An update that changes nothing returns the resource as it is, without a
   * new version or an event: controllers reconcile on every tick, and a no-op must not wake their
   * consumers in an endless loop.
   */
  update<T>(type: ResourceType<T>, id: string, options: UpdateOptions<NoInfer<T>>): Resource<T> {
    this.#checkOpen("update");
    const { bucket, current } = this.#existing(type, id, {
      ...options,
      action: "update",
      owner: options.owner ?? null,
    });
    checkVersion(current, options.expectedVersion);
    if (current.metadata.phase === "tearing-down") {
      throw new SteleError(
        "failed-precondition",
        `Cannot update ${describe(current)}: it is tearing down`,
        "Wait until it is destroyed, then create it again",
      );
    }
    const spec = parseSpec(type, `${current.metadata.namespace}/${id}`, options.spec);
    const labels = options.labels === undefined ? current.metadata.labels : copyLabels(options.labels);
    if (isDeepStrictEqual(spec, current.spec) && isDeepStrictEqual(labels, current.metadata.labels)) {
      return current as Resource<T>;
    }
    return this.#replace(bucket, current, { spec, labels }) as Resource<T>;
  }

  /**
   * Creates or updates a resource from its current spec, re-reading and retrying when someone else
   * changed it while `transform` ran (it may be async). The usual way to write: no version to carry.
   */
  async modify<T>(
    type: ResourceType<T>,
    id: string,
    options: ModifyOptions<NoInfer<T>>,
  ): Promise<Resource<T>> {
    const retries = options.retries ?? DEFAULT_MODIFY_RETRIES;
    const namespace = this.#namespace(type, options);
    for (let attempt = 0; ; attempt++) {
      this.#checkOpen("modify");
      const before = this.get(type, id, { namespace });
      const spec = await options.transform(before?.spec);
      const now = this.get(type, id, { namespace });
      if (now === before) {
        const common = { namespace, spec, owner: options.owner, labels: options.labels };
        return now === undefined
          ? this.create(type, id, common)
          : this.update(type, id, { ...common, expectedVersion: now.metadata.version });
      }
      if (attempt >= retries) {
        throw new SteleError(
          "failed-precondition",
          `Cannot modify ${type.type} ${namespace}/${id}: it changed during each of ${attempt + 1} attempts`,
          "Something else writes this resource continuously; find the other writer",
        );
      }
    }
  }

  /**
   * Announces that a resource is going away (phase `tearing-down`, a new version, an `updated`
   * event) so that holders of finalizers can clean up. Idempotent.
   */
  teardown<T>(type: ResourceType<T>, id: string, options: LifecycleOptions = {}): Resource<T> {
    this.#checkOpen("teardown");
    const { bucket, current } = this.#existing(type, id, {
      ...options,
      action: "tear down",
      owner: options.owner ?? null,
    });
    if (options.expectedVersion !== undefined) checkVersion(current, options.expectedVersion);
    if (current.metadata.phase === "tearing-down") return current as Resource<T>;
    return this.#replace(bucket, current, { phase: "tearing-down" }) as Resource<T>;
  }

  /** Removes a resource; fails while it has finalizers. It need not be torn down first. */
  destroy<T>(type: ResourceType<T>, id: string, options: LifecycleOptions = {}): void {
    this.#checkOpen("destroy");
    const { bucket, current } = this.#existing(type, id, {
      ...options,
      action: "destroy",
      owner: options.owner ?? null,
    });
    if (options.expectedVersion !== undefined) checkVersion(current, options.expectedVersion);
    if (current.metadata.finalizers.length > 0) {
      throw new SteleError(
        "failed-precondition",
        `Cannot destroy ${describe(current)}: finalizers remain: ${current.metadata.finalizers.join(", ")}`,
        "Tear it down and wait until the holders of the finalizers remove them",
      );
    }
    bucket.resources.delete(id);
    this.#commit(bucket, "destroyed", current);
  }

  /**
   * Adds a finalizer, which blocks `destroy` until removed. Anyone may add one (that is its purpose:
   * a consumer protects what it depends on), but not to a resource already tearing down.
   */
  addFinalizer<T>(type: ResourceType<T>, id: string, options: FinalizerOptions): Resource<T> {
    this.#checkOpen("addFinalizer");
    const { bucket, current } = this.#existing(type, id, {
      namespace: options.namespace,
      action: "add a finalizer to",
    });
    const { finalizer } = options;
    checkFinalizer(finalizer);
    if (current.metadata.finalizers.includes(finalizer)) return current as Resource<T>;
    if (current.metadata.phase === "tearing-down") {
      throw new SteleError(
        "failed-precondition",
        `Cannot add finalizer ${JSON.stringify(finalizer)} to ${describe(current)}: it is tearing down`,
        "Release what depends on it instead: it is going away",
      );
    }
    const finalizers = [...current.metadata.finalizers, finalizer].sort(compare);
    return this.#replace(bucket, current, { finalizers }) as Resource<T>;
  }

  /** Removes a finalizer; removing one that is not there changes nothing. */
  removeFinalizer<T>(type: ResourceType<T>, id: string, options: FinalizerOptions): Resource<T> {
    this.#checkOpen("removeFinalizer");
    const { bucket, current } = this.#existing(type, id, {
      namespace: options.namespace,
      action: "remove a finalizer from",
    });
    if (!current.metadata.finalizers.includes(options.finalizer)) return current as Resource<T>;
    const finalizers = current.metadata.finalizers.filter((f) => f !== options.finalizer);
    return this.#replace(bucket, current, { finalizers }) as Resource<T>;
  }

  /** Ends every watch (after what they have queued) and refuses further use. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const feed of [...this.#feeds]) feed.end();
    for (const bucket of this.#buckets.values()) bucket.listeners.clear();
  }

  #namespace(type: ResourceType<unknown>, options: NamespaceOption): string {
    this.registerType(type);
    if (options.namespace === undefined) return type.defaultNamespace;
    checkNamespace(options.namespace);
    return options.namespace;
  }

  #bucket(namespace: string, type: ResourceType<unknown>, create: true): Bucket;
  #bucket(namespace: string, type: ResourceType<unknown>, create: false): Bucket | undefined;
  #bucket(namespace: string, type: ResourceType<unknown>, create: boolean): Bucket | undefined {
    const key = `${namespace}\u0000${type.type}`;
    let bucket = this.#buckets.get(key);
    if (!bucket && create) {
      bucket = { resources: new Map(), history: new RingBuffer(this.#historyCapacity), listeners: new Set() };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /**
   * The resource a write targets, after checking that it exists and, when `owner` is given (finalizers
   * are anyone's to set), that the writer owns it.
   */
  #existing(
    type: ResourceType<unknown>,
    id: string,
    options: { namespace?: string | undefined; owner?: string | null; action: string },
  ): { bucket: Bucket; current: Resource<unknown> } {
    const { action, owner: writer } = options;
    const namespace = this.#namespace(type, options);
    const bucket = this.#bucket(namespace, type, false);
    const current = bucket?.resources.get(id);
    if (!bucket || !current) {
      throw new SteleError(
        "not-found",
        `Cannot ${action} ${type.type} ${namespace}/${id}: no such resource`,
        "Check the namespace and id; list the type to see what exists",
      );
    }
    if (writer !== undefined && writer !== current.metadata.owner) {
      throw new SteleError(
        "permission-denied",
        `Cannot ${action} ${describe(current)}: it is owned by ${ownerName(current.metadata.owner)}, not ${ownerName(writer)}`,
        "A resource has one writer: change the inputs of its owner instead",
      );
    }
    return { bucket, current };
  }

  #replace(
    bucket: Bucket,
    current: Resource<unknown>,
    changes: Partial<Pick<ResourceMetadata, "labels" | "phase" | "finalizers">> & { spec?: unknown },
  ): Resource<unknown> {
    const { spec, ...metadata } = changes;
    const resource = deepFreeze<Resource<unknown>>({
      metadata: {
        ...current.metadata,
        ...metadata,
        version: current.metadata.version + 1,
        updated: this.#now(),
      },
      spec: "spec" in changes ? spec : current.spec,
    });
    bucket.resources.set(resource.metadata.id, resource);
    this.#commit(bucket, "updated", resource);
    return resource;
  }

  /**
   * Records an event and delivers it. Deliveries are queued while another is in progress, so that a
   * listener that writes (re-entrantly) cannot make others see events out of commit order.
   */
  #commit(bucket: Bucket, kind: "created" | "updated" | "destroyed", resource: Resource<unknown>): void {
    const stored: StoredEvent = { seq: ++this.#seq, event: { kind, resource } };
    bucket.history.push(stored);
    this.#pending.push([bucket, stored]);
    if (this.#emitting) return;
    this.#emitting = true;
    try {
      for (let i = 0; i < this.#pending.length; i++) {
        const [target, { seq, event }] = this.#pending[i]!;
        for (const listener of target.listeners) {
          if (listener.since >= seq) continue;
          if (listener.id !== undefined && listener.id !== event.resource.metadata.id) continue;
          try {
            listener.onEvent(event);
          } catch (error) {
            this.#onListenerError(error);
          }
        }
      }
    } finally {
      this.#pending = [];
      this.#emitting = false;
    }
  }

  #checkOpen(operation: string): void {
    if (this.#closed) {
      throw new SteleError(
        "unavailable",
        `Resource store is closed: cannot ${operation}`,
        "The store closes when machined shuts down; retry once it is back",
      );
    }
  }
}

function parseSpec<T>(type: ResourceType<T>, where: string, spec: T): T {
  let copy: T;
  try {
    // Copy first, so that neither the caller nor a schema that passes values through keeps a
    // reference into what the store freezes and shares.
    copy = structuredClone(spec);
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Invalid spec of ${type.type} ${where}: ${(error as Error).message}`,
      "A spec is plain data: objects, arrays, strings, numbers, booleans, null",
      { cause: error },
    );
  }
  if (!type.schema) return copy;
  const result = type.schema.safeParse(copy);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new SteleError(
    "invalid-argument",
    `Invalid spec of ${type.type} ${where}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    `Fix the spec to match the schema of ${type.type}`,
  );
}

function checkVersion(current: Resource<unknown>, expected: number): void {
  if (current.metadata.version !== expected) {
    throw new SteleError(
      "failed-precondition",
      `Version conflict on ${describe(current)}: expected version ${expected}, found ${current.metadata.version}`,
      "Read the resource again and retry, or use modify, which does that for you",
    );
  }
}

function checkId(id: string): void {
  if (typeof id !== "string" || id === "" || /[\s\u0000-\u001f]/.test(id)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid resource id: ${JSON.stringify(id)}`,
      "Give a non-empty id without spaces or control characters",
    );
  }
}

function checkFinalizer(finalizer: string): void {
  if (typeof finalizer !== "string" || finalizer === "" || /\s/.test(finalizer)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid finalizer: ${JSON.stringify(finalizer)}`,
      "Name a finalizer after its holder, e.g. the controller name",
    );
  }
}

function copyLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort(compare)) {
    const value = labels[key]!;
    checkLabel(key, value);
    out[key] = value;
  }
  return out;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SteleError(
      "invalid-argument",
      `Invalid ${name}: ${value}`,
      `Give ${name} as a whole number above 0`,
    );
  }
  return value;
}

function describe(resource: Resource<unknown>): string {
  const { type, namespace, id } = resource.metadata;
  return `${type} ${namespace}/${id}`;
}

function ownerName(owner: string | null): string {
  return owner === null ? "no controller" : `controller ${JSON.stringify(owner)}`;
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
