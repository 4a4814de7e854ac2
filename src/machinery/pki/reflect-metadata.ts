/**
 * The smallest Reflect metadata polyfill that `@peculiar/x509` needs. Its dependency `tsyringe`
 * throws at load time unless `Reflect.getMetadata` exists, and it only ever calls
 * `defineMetadata`, `getOwnMetadata` and `getMetadata` (x509 registers classes without
 * constructor parameters, so no `design:paramtypes` metadata is ever read back). A 30-line
 * module is cheaper to audit than another dependency, and it steps aside when a full polyfill
 * (`reflect-metadata`, core-js) is already installed.
 *
 * It must be imported before `@peculiar/x509`; `x509.ts` does so, and it is the only door to
 * the library.
 */

type MetadataKey = unknown;
type PropertyKeyOrNone = string | symbol | undefined;

interface ReflectMetadata {
  defineMetadata(key: MetadataKey, value: unknown, target: object, property?: PropertyKeyOrNone): void;
  getOwnMetadata(key: MetadataKey, target: object, property?: PropertyKeyOrNone): unknown;
  getMetadata(key: MetadataKey, target: object, property?: PropertyKeyOrNone): unknown;
  hasOwnMetadata(key: MetadataKey, target: object, property?: PropertyKeyOrNone): boolean;
  hasMetadata(key: MetadataKey, target: object, property?: PropertyKeyOrNone): boolean;
}

const reflect = Reflect as unknown as Partial<ReflectMetadata>;

if (typeof reflect.getMetadata !== "function") {
  // target → property (undefined for the target itself) → key → value. A WeakMap, so metadata
  // never keeps a class alive.
  const store = new WeakMap<object, Map<PropertyKeyOrNone, Map<MetadataKey, unknown>>>();

  const ownMap = (target: object, property: PropertyKeyOrNone, create: boolean) => {
    let byProperty = store.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let byKey = byProperty.get(property);
    if (!byKey && create) {
      byKey = new Map();
      byProperty.set(property, byKey);
    }
    return byKey;
  };

  const polyfill: ReflectMetadata = {
    defineMetadata(key, value, target, property) {
      ownMap(target, property, true)!.set(key, value);
    },
    getOwnMetadata(key, target, property) {
      return ownMap(target, property, false)?.get(key);
    },
    hasOwnMetadata(key, target, property) {
      return ownMap(target, property, false)?.has(key) ?? false;
    },
    getMetadata(key, target, property) {
      // Metadata is inherited along the prototype chain, as in the proposal.
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
        const own = ownMap(t, property, false);
        if (own?.has(key)) return own.get(key);
      }
      return undefined;
    },
    hasMetadata(key, target, property) {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
        if (ownMap(t, property, false)?.has(key)) return true;
      }
      return false;
    },
  };
  Object.assign(Reflect, polyfill);
}
