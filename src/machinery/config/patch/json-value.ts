/**
 * Helpers for the plain values patches work on: what YAML and JSON parse into. They exist so
 * every file of the patch engine agrees on what a map is, how a value is copied and when two
 * values are equal, and so none of them can be tricked by a key named `__proto__`.
 */

/**
 * Whether a value is a plain map (an object literal or a null-prototype object), as YAML and
 * JSON produce. Arrays, dates and class instances are not maps: patches treat them as scalars.
 */
export function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Sets an own, enumerable member. A plain assignment of `__proto__` would replace the object's
 * prototype instead of adding a member, which a patch from a user file must never be able to do.
 */
export function setOwn(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    map[key] = value;
  }
}

/**
 * A deep copy of a plain value: maps and arrays are copied, anything else (scalars, and objects
 * that are not plain maps) is shared. Patch functions copy their inputs so they never mutate them
 * and their results share nothing the caller could later change by accident.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (!isPlainMap(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, cloneJson(value[key]));
  return copy as T;
}

/**
 * Deep equality as RFC 6902's `test` defines it: maps equal when they have the same members
 * whatever their order, arrays when their elements are equal in order, scalars when they are of
 * the same type and value (so `10` and `"10"` differ). NaN equals NaN, so a set of values that
 * holds one stays a set.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isPlainMap(a)) {
    if (!isPlainMap(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** A short, single-line rendering of a value for an error message (long values are cut). */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // BigInts and cyclic values do not stringify; their tag is still better than nothing.
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
