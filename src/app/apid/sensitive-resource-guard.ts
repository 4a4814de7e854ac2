import {
  GetRequest,
  ListRequest,
  type ResourceDefinition,
  ResourceServiceService,
  WatchRequest,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../machinery/errors.ts";
import type { Role } from "../../machinery/role/roles.ts";

/** Decides whether a call may read what it names; resolves, or rejects with SteleError. */
export type SensitiveResourceGuard = (
  method: string,
  request: Buffer,
  roles: readonly Role[],
) => Promise<void>;

/** Options of `createSensitiveResourceGuard`. */
export interface SensitiveResourceGuardOptions {
  /** Asks the local machined for its resource definitions (ResourceService/ResourceDefinitions). */
  fetchDefinitions: () => Promise<readonly ResourceDefinition[]>;
}

/** The reads that name a resource type, and how to decode just the type out of their request. */
const READS: ReadonlyMap<string, (request: Buffer) => string> = new Map([
  [ResourceServiceService.get.path, (request: Buffer) => GetRequest.decode(request).type],
  [ResourceServiceService.list.path, (request: Buffer) => ListRequest.decode(request).type],
  [ResourceServiceService.watch.path, (request: Buffer) => WatchRequest.decode(request).type],
]);

/**
 * The check that keeps secret-bearing resources (`sensitive` types: keys, tokens, the config) from
 * anyone but os:admin: a ResourceService Get, List or Watch naming such a type, by its full name or
 * an alias, is refused before it reaches machined. apid decodes only these requests, and only their
 * type; every other call stays opaque bytes. The definitions are asked for once and cached; a name
 * not in the cache makes it ask again (a type may have appeared since), and only a name still
 * unknown then goes through, for machined to answer NOT_FOUND. Failing to get the definitions
 * refuses the read: the check fails closed.
 */
export function createSensitiveResourceGuard(options: SensitiveResourceGuardOptions): SensitiveResourceGuard {
  let cached: Promise<Map<string, ResourceDefinition>> | undefined;
  const load = (): Promise<Map<string, ResourceDefinition>> => {
    const loading = options.fetchDefinitions().then(indexByName);
    cached = loading;
    loading.catch(() => {
      if (cached === loading) cached = undefined;
    });
    return loading;
  };
  const lookup = async (type: string): Promise<ResourceDefinition | undefined> => {
    const key = type.toLowerCase();
    const first = cached ?? load();
    const found = (await first).get(key);
    if (found !== undefined) return found;
    // Ask again only if no one has since: concurrent misses share one request.
    const again = cached === first ? load() : (cached ?? load());
    return (await again).get(key);
  };
  return async (method, request, roles) => {
    const decodeType = READS.get(method);
    if (decodeType === undefined || roles.includes("os:admin")) return;
    let type: string;
    try {
      type = decodeType(request);
    } catch {
      throw new SteleError(
        "invalid-argument",
        `Invalid request: ${method} carries a message that does not decode`,
        "Use stelectl or a client generated from the node's protos",
      );
    }
    let definition: ResourceDefinition | undefined;
    try {
      definition = await lookup(type);
    } catch (error) {
      throw new SteleError(
        "unavailable",
        `Cannot check resource type ${type}: machined did not list the resource definitions`,
        "Retry in a moment; if it persists, read machined's log on the node's console",
        { cause: error },
      );
    }
    if (definition?.sensitive) {
      throw new SteleError(
        "permission-denied",
        `Resource type ${definition.type} holds secrets: readable by os:admin only`,
        "Use a client configuration with the os:admin role (an admin mints one with stelectl config new --roles os:admin)",
      );
    }
  };
}

function indexByName(definitions: readonly ResourceDefinition[]): Map<string, ResourceDefinition> {
  const index = new Map<string, ResourceDefinition>();
  for (const definition of definitions) {
    for (const name of [definition.type, ...definition.aliases]) index.set(name.toLowerCase(), definition);
  }
  return index;
}
