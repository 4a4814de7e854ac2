/**
 * Freezes a value and everything reachable from it through plain objects and arrays, so that a
 * resource handed to many readers cannot be changed behind the store's back.
 */
export function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen (their bytes stay writable through the buffer anyway): skip them.
  if (value !== null && typeof value === "object" && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
