import { SteleError } from "../machinery/errors.ts";
import { createChangeTicks } from "./change-ticks.ts";
import type { CleanupResult, Controller, ControllerRuntimeAdapter } from "./controller.ts";
import type { Resource } from "./resource.ts";
import type { NamespaceOption, ResourceStore } from "./resource-store.ts";
import type { ResourceType } from "./resource-type.ts";

/** What `createControllerAdapter` needs. */
export interface ControllerAdapterOptions {
  store: ResourceStore;
  controller: Controller;
  /** Aborted when this run of the controller ends: its ticks stop and its writes are refused. */
  runSignal: AbortSignal;
}

/**
 * Builds the adapter one run of a controller sees. Every call checks the declared inputs and
 * outputs, so a controller cannot depend on or write what its declaration does not show; and every
 * write carries the controller's name as owner, so another controller cannot overwrite it.
 */
export function createControllerAdapter(options: ControllerAdapterOptions): ControllerRuntimeAdapter {
  const { store, controller, runSignal } = options;
  const { name } = controller;
  /** Outputs torn down by cleanupOutputs and held by finalizers: their release is worth a tick. */
  const pendingCleanup = new Set<string>();

  function checkRunning(): void {
    if (runSignal.aborted) {
      throw new SteleError(
        "failed-precondition",
        `Controller ${JSON.stringify(name)} used the store after its run ended`,
        "Await all work inside run(), and stop it when its signal aborts",
      );
    }
  }

  function namespaceOf(type: ResourceType<unknown>, options: NamespaceOption | undefined): string {
    return options?.namespace ?? type.defaultNamespace;
  }

  function isOutput(type: ResourceType<unknown>, namespace: string): boolean {
    return controller.outputs.some((o) => o.type.type === type.type && namespaceOf(o.type, o) === namespace);
  }

  function inputsFor(type: ResourceType<unknown>, namespace: string) {
    return controller.inputs.filter((i) => i.type.type === type.type && namespaceOf(i.type, i) === namespace);
  }

  function denied(action: string, type: ResourceType<unknown>, namespace: string, declare: string): never {
    throw new SteleError(
      "permission-denied",
      `Controller ${JSON.stringify(name)} cannot ${action} ${type.type} in namespace ${namespace}: it is not a declared ${declare}`,
      `Declare ${type.type} (namespace ${namespace}) in the ${declare}s of ${name}`,
    );
  }

  /** The id filter of a read: undefined when the whole namespace is readable. */
  function checkRead(type: ResourceType<unknown>, namespace: string, id?: string): { onlyIds?: Set<string> } {
    checkRunning();
    if (isOutput(type, namespace)) return {};
    const inputs = inputsFor(type, namespace);
    if (inputs.length === 0) denied("read", type, namespace, "input");
    if (inputs.some((i) => i.id === undefined)) return {};
    const ids = new Set(inputs.map((i) => i.id!));
    if (id !== undefined && !ids.has(id))
      denied(`read id ${JSON.stringify(id)} of`, type, namespace, "input");
    return { onlyIds: ids };
  }

  function checkWrite(type: ResourceType<unknown>, namespace: string): void {
    checkRunning();
    if (!isOutput(type, namespace)) denied("write", type, namespace, "output");
  }

  function checkFinalize(type: ResourceType<unknown>, namespace: string, id: string): void {
    checkRunning();
    const strong = inputsFor(type, namespace).filter(
      (i) => i.kind === "strong" && (i.id === undefined || i.id === id),
    );
    if (strong.length === 0) denied("put finalizers on", type, namespace, "strong input");
  }

  function key(type: ResourceType<unknown>, namespace: string, id: string): string {
    return `${namespace}\u0000${type.type}\u0000${id}`;
  }

  return {
    name,

    changes(signal) {
      checkRunning();
      return createChangeTicks({
        signals: [signal, runSignal],
        subscribe(wake) {
          const stops = controller.inputs.map((input) =>
            store.subscribe(input.type, { namespace: input.namespace, id: input.id, onEvent: wake }),
          );
          for (const output of controller.outputs) {
            stops.push(
              store.subscribe(output.type, {
                namespace: output.namespace,
                onEvent(event) {
                  if (event.kind !== "updated" || event.resource.metadata.finalizers.length > 0) return;
                  const { namespace, id } = event.resource.metadata;
                  if (pendingCleanup.delete(key(output.type, namespace, id))) wake();
                },
              }),
            );
          }
          return () => {
            for (const stop of stops) stop();
          };
        },
      });
    },

    get(type, id, options) {
      checkRead(type, namespaceOf(type, options), id);
      return store.get(type, id, options);
    },

    list(type, options) {
      const { onlyIds } = checkRead(type, namespaceOf(type, options));
      const all = store.list(type, options);
      return onlyIds ? all.filter((r) => onlyIds.has(r.metadata.id)) : all;
    },

    create(type, id, options) {
      checkWrite(type, namespaceOf(type, options));
      return store.create(type, id, { ...options, owner: name });
    },

    update(type, id, options) {
      checkWrite(type, namespaceOf(type, options));
      return store.update(type, id, { ...options, owner: name });
    },

    async modify(type, id, options) {
      checkWrite(type, namespaceOf(type, options));
      const transform = async (current: Parameters<typeof options.transform>[0]) => {
        const spec = await options.transform(current);
        checkRunning(); // the run may have ended while an async transform ran
        return spec;
      };
      return store.modify(type, id, { ...options, transform, owner: name });
    },

    teardown(type, id, options) {
      checkWrite(type, namespaceOf(type, options));
      return store.teardown(type, id, { namespace: options?.namespace, owner: name });
    },

    destroy(type, id, options) {
      checkWrite(type, namespaceOf(type, options));
      store.destroy(type, id, { namespace: options?.namespace, owner: name });
    },

    addFinalizer(type, id, options) {
      checkFinalize(type, namespaceOf(type, options), id);
      return store.addFinalizer(type, id, { namespace: options?.namespace, finalizer: name });
    },

    removeFinalizer(type, id, options) {
      checkFinalize(type, namespaceOf(type, options), id);
      return store.removeFinalizer(type, id, { namespace: options?.namespace, finalizer: name });
    },

    cleanupOutputs(keepIds, options = {}) {
      const type = options.type ?? onlyOutputType(controller);
      const namespace = namespaceOf(type, options);
      checkWrite(type, namespace);
      const keep = new Set(keepIds);
      const result: CleanupResult = { destroyed: [], pending: [] };
      for (const resource of store.list(type, { namespace }) as Resource<unknown>[]) {
        const { id, owner } = resource.metadata;
        if (owner !== name || keep.has(id)) continue;
        const torn = store.teardown(type, id, { namespace, owner: name });
        if (torn.metadata.finalizers.length === 0) {
          store.destroy(type, id, { namespace, owner: name });
          result.destroyed.push(id);
        } else {
          pendingCleanup.add(key(type, namespace, id));
          result.pending.push(id);
        }
      }
      return result;
    },
  };
}

function onlyOutputType(controller: Controller): ResourceType<unknown> {
  const types = new Set(controller.outputs.map((o) => o.type));
  if (types.size !== 1) {
    throw new SteleError(
      "invalid-argument",
      `Controller ${JSON.stringify(controller.name)} has ${types.size} output types: cleanupOutputs needs to know which`,
      "Pass { type } to cleanupOutputs",
    );
  }
  return [...types][0]!;
}
