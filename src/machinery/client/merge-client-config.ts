import type { ClientConfig, ClientContext } from "./client-config.ts";

/** The result of a merge: the new config and each context that had to be renamed, as [from, to]. */
export interface MergeClientConfigResult {
  config: ClientConfig;
  renamed: Array<[from: string, to: string]>;
}

/**
 * Merges the contexts of `from` into `into`, as `stelectl config merge` does after `gen config`.
 * An existing context is never overwritten: a context whose name is taken gets the first free
 * `-1`, `-2`… suffix, because a context holds credentials that may exist nowhere else. The
 * current context becomes the merged file's current one (renamed if it was), since the user
 * merges a config to use it. Neither input is modified.
 */
export function mergeClientConfig(into: ClientConfig, from: ClientConfig): MergeClientConfigResult {
  // A Map, not an object: a context may be called anything, "__proto__" included.
  const contexts = new Map(
    Object.entries(into.contexts).map(([name, context]) => [name, copyContext(context)]),
  );
  const renamed: Array<[string, string]> = [];
  const newNames = new Map<string, string>();
  // Names `from` itself uses must stay free too, or renaming "a" to "a-1" could collide with its own "a-1".
  const reserved = new Set([...Object.keys(into.contexts), ...Object.keys(from.contexts)]);
  for (const [name, context] of Object.entries(from.contexts)) {
    let target = name;
    if (contexts.has(name)) {
      let suffix = 1;
      while (reserved.has(`${name}-${suffix}`)) suffix++;
      target = `${name}-${suffix}`;
      reserved.add(target);
      renamed.push([name, target]);
    }
    contexts.set(target, copyContext(context));
    newNames.set(name, target);
  }
  const current = newNames.get(from.context) ?? into.context;
  return { config: { context: current, contexts: Object.fromEntries(contexts) }, renamed };
}

function copyContext(context: ClientContext): ClientContext {
  return { ...context, endpoints: [...context.endpoints], nodes: [...context.nodes] };
}
