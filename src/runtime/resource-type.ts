import type { z } from "zod";
import { SteleError } from "../machinery/errors.ts";

/** A column of `stelectl get` tables: a header and a dotted path into the resource, e.g. `spec.hostname`. */
export interface PrintColumn {
  readonly name: string;
  readonly path: string;
}

/** What `defineResourceType` takes. Only `type` and `defaultNamespace` are required. */
export interface ResourceTypeDefinition<T> {
  /** `Plural.group` as in Kubernetes and COSI, e.g. `Hostnames.net.stele.dev`. */
  type: string;
  /** Short names users type (`stelectl get hostname`); lower case. */
  aliases?: readonly string[];
  /** Where resources of this type live unless a call names another namespace. */
  defaultNamespace: string;
  /** Whether the spec holds secrets: the API lets only `os:admin` read such resources. */
  sensitive?: boolean;
  printColumns?: readonly PrintColumn[];
  /** Validates (and normalises) every spec written; without it the spec is only deep-copied. */
  schema?: z.ZodType<T>;
}

/**
 * A resource type: the value that stands for a type in every store and controller call, so that
 * the spec's TypeScript type flows from the definition to `get`, `list` and `watch`.
 */
export interface ResourceType<T> {
  readonly type: string;
  readonly aliases: readonly string[];
  readonly defaultNamespace: string;
  readonly sensitive: boolean;
  readonly printColumns: readonly PrintColumn[];
  readonly schema: z.ZodType<T> | undefined;
  /** Never set: it only carries `T` so that TypeScript can infer it from the type value. */
  readonly __spec?: T;
}

/** `Plural.group`: a capitalised plural, then a DNS-like group of at least one label. */
const TYPE_NAME = /^[A-Z][A-Za-z0-9]*(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const SHORT_NAME = /^[a-z][a-z0-9-]*$/;
const COLUMN_PATH = /^(spec|metadata)(\.[A-Za-z0-9_-]+)*$/;

/**
 * Defines a resource type after checking its names, so that a typo fails at start-up in the module
 * that declares the type rather than later in a lookup that finds nothing.
 */
export function defineResourceType<T>(definition: ResourceTypeDefinition<T>): ResourceType<T> {
  const { type, defaultNamespace } = definition;
  const aliases = [...(definition.aliases ?? [])];
  if (!TYPE_NAME.test(type)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid resource type name: ${JSON.stringify(type)}`,
      "Name a type Plural.group, e.g. Hostnames.net.stele.dev",
    );
  }
  for (const name of [defaultNamespace, ...aliases]) {
    if (!SHORT_NAME.test(name)) {
      throw new SteleError(
        "invalid-argument",
        `Invalid namespace or alias of ${type}: ${JSON.stringify(name)}`,
        "Use lower-case letters, digits and dashes, starting with a letter, e.g. network or hostname",
      );
    }
  }
  const printColumns = (definition.printColumns ?? []).map((column) => {
    if (!COLUMN_PATH.test(column.path)) {
      throw new SteleError(
        "invalid-argument",
        `Invalid print column ${JSON.stringify(column.name)} of ${type}: path ${JSON.stringify(column.path)}`,
        "Give a dotted path that starts at spec or metadata, e.g. spec.hostname",
      );
    }
    return Object.freeze({ name: column.name, path: column.path });
  });
  return Object.freeze({
    type,
    aliases: Object.freeze(aliases),
    defaultNamespace,
    sensitive: definition.sensitive ?? false,
    printColumns: Object.freeze(printColumns),
    schema: definition.schema,
  });
}

/**
 * Checks a namespace given to a store call, so that every namespace has the shape of the ones types
 * declare: short, lower-case, safe to print in `namespace/id` and to type on a command line.
 */
export function checkNamespace(namespace: string): void {
  if (!SHORT_NAME.test(namespace)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid namespace: ${JSON.stringify(namespace)}`,
      "Use lower-case letters, digits and dashes, starting with a letter, e.g. network",
    );
  }
}
