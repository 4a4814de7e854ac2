import type { Resource } from "./resource.ts";
import type { ResourceType } from "./resource-type.ts";

/**
 * The cells of a `stelectl get` row for a resource, one per print column of its type. Missing
 * values are empty cells rather than errors: a column describes the usual shape of a spec, and an
 * optional field left out must not make a whole listing fail.
 */
export function printColumnValues<T>(type: ResourceType<T>, resource: Resource<T>): string[] {
  return type.printColumns.map((column) => formatCell(readPath(resource, column.path)));
}

function readPath(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
