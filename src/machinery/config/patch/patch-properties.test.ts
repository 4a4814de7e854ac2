import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { isSteleError } from "../../errors.ts";
import { applyJsonPatch } from "./apply-json-patch.ts";
import { applyPatches } from "./apply-patches.ts";
import type { JsonPatchOperation } from "./json-patch-operation.ts";
import { parsePatch } from "./parse-patch.ts";
import type { ConfigDocumentValue, Patch } from "./patch.ts";
import { strategicMerge } from "./strategic-merge.ts";

const RUNS = 1_000;

/** Which directives and values a generated value may hold: targets hold nulls, patches directives. */
interface Shape {
  nulls: boolean;
  replace: boolean;
  deletes: boolean;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Builds a map from entries with defineProperty semantics, so a generated `__proto__` key stays a key. */
function toMap(entries: Array<[string, unknown]>): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return map;
}

/**
 * Config-like values: MachineConfig-shaped trees that reach every list rule (keyed, nested keyed,
 * append-unique, replace), with a generic JSON value now and then where a shape is expected, so
 * type mismatches and unknown keys are exercised too.
 */
function configLike(shape: Shape) {
  const id = fc.constantFrom("a", "b", "c");
  const scalar = shape.nulls
    ? fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constant(null))
    : fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.boolean());
  const key = fc.constantFrom("x", "y", "name", "network", "__proto__", "constructor");
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      fc.array(tie("tree"), { maxLength: 3 }),
      fc.array(fc.tuple(key, tie("tree")), { maxLength: 3 }).map(toMap),
    ),
  }));
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 6, arbitrary }, { weight: 1, arbitrary: tree });
  const map = (fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) => {
    let result: fc.Arbitrary<Record<string, unknown>> = fc.record(fields, {
      requiredKeys: required as never[],
      noNullPrototype: true,
    });
    if (shape.deletes) {
      const deletable = Object.keys(fields).filter((field) => !required.includes(field));
      result = fc.tuple(result, fc.subarray(deletable, { maxLength: 1 })).map(([value, deleted]) => ({
        ...value,
        ...toMap(deleted.map((field) => [field, { $patch: "delete" }])),
      }));
    }
    if (shape.replace) {
      result = fc
        .tuple(result, fc.nat(5))
        .map(([value, roll]) => (roll === 0 ? { ...value, $patch: "replace" } : value));
    }
    return result;
  };
  const list = (element: fc.Arbitrary<unknown>) => {
    const result = fc.array(element, { maxLength: 3 });
    return shape.replace
      ? fc
          .tuple(result, fc.nat(6))
          .map(([value, roll]) => (roll === 0 ? [{ $patch: "replace" }, ...value] : value))
      : result;
  };
  const keyed = (keyName: string, element: fc.Arbitrary<unknown>) =>
    list(
      shape.deletes
        ? fc.oneof(
            { weight: 4, arbitrary: element },
            { weight: 1, arbitrary: id.map((value) => ({ [keyName]: value, $patch: "delete" })) },
          )
        : element,
    );
  const route = map({ network: id, gateway: scalar }, ["network"]);
  const iface = map({ name: id, mtu: scalar, routes: sometimes(keyed("network", route)) }, ["name"]);
  return map({
    network: sometimes(
      map({
        hostname: scalar,
        interfaces: sometimes(keyed("name", iface)),
        nameservers: sometimes(list(fc.constantFrom("1.1.1.1", "8.8.8.8"))),
      }),
    ),
    certSANs: sometimes(list(fc.oneof(fc.constantFrom("a.example", "b.example"), tree))),
    install: sometimes(
      map({ disk: scalar, extraKernelArgs: sometimes(list(fc.constantFrom("quiet", "debug"))) }),
    ),
    files: sometimes(keyed("path", map({ path: id, content: scalar }, ["path"]))),
    logging: sometimes(
      map({
        destinations: sometimes(keyed("endpoint", map({ endpoint: id, format: scalar }, ["endpoint"]))),
      }),
    ),
    extra: tree,
  });
}

const targets = configLike({ nulls: true, replace: false, deletes: false });
const mergePatches = configLike({ nulls: false, replace: true, deletes: false });
const deletingPatches = configLike({ nulls: false, replace: true, deletes: true });
const CONTEXT = { kind: "MachineConfig" };

function expectSteleError(error: unknown): void {
  assert.ok(isSteleError(error), `expected a SteleError, got ${String(error)}`);
  assert.equal(error.code, "invalid-config");
}

test("property: a merge patch applied twice equals it applied once, and inputs stay untouched", () => {
  let merged = 0;
  fc.assert(
    fc.property(targets, mergePatches, (target, patch) => {
      const [targetBefore, patchBefore] = [structuredClone(target), structuredClone(patch)];
      deepFreeze(target);
      deepFreeze(patch);
      let once: unknown;
      try {
        once = strategicMerge(target, patch, CONTEXT);
      } catch (error) {
        // Only generic values placed where a keyed list is expected can fail (an element without its key).
        expectSteleError(error);
        return;
      }
      merged++;
      assert.deepStrictEqual(strategicMerge(once, patch, CONTEXT), once);
      assert.deepStrictEqual(target, targetBefore);
      assert.deepStrictEqual(patch, patchBefore);
    }),
    { numRuns: RUNS },
  );
  assert.ok(merged > RUNS / 2, `only ${merged} of ${RUNS} merges succeeded: the generators miss the point`);
});

/** A value with every list sorted, to compare values whose lists may differ in order only. */
function unordered(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(unordered).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (typeof value !== "object" || value === null) return value;
  return toMap(Object.entries(value).map(([key, child]) => [key, unordered(child)]));
}

test("property: a patch with deletes applied again fails with a SteleError or changes nothing but list order", () => {
  // Not strictly idempotent: deleting then re-adding a keyed element in one patch moves it to the
  // end each time. What must hold is that nothing else changes and nothing but SteleError is thrown.
  let repeated = 0;
  fc.assert(
    fc.property(targets, deletingPatches, (target, patch) => {
      deepFreeze(target);
      deepFreeze(patch);
      let once: unknown;
      try {
        once = strategicMerge(target, patch, CONTEXT);
      } catch (error) {
        expectSteleError(error);
        return;
      }
      let twice: unknown;
      try {
        twice = strategicMerge(once, patch, CONTEXT);
      } catch (error) {
        expectSteleError(error);
        return;
      }
      repeated++;
      assert.deepStrictEqual(unordered(twice), unordered(once));
    }),
    { numRuns: RUNS },
  );
  assert.ok(repeated > 0);
});

// Documents of the kinds patches address, with some that are broken on purpose.
const kinds = fc.constantFrom("MachineConfig", "ClusterConfig", "TrustedRootsConfig", "ExtensionsConfig");
const documentValue = fc
  .oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(kinds, fc.option(fc.constantFrom("a", "b"), { nil: undefined }), targets),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant(""), fc.constant(undefined), targets) },
  )
  .map(([kind, name, body]) => {
    const document: Record<string, unknown> = { apiVersion: "stele.dev/v1alpha1" };
    if (kind !== "") document["kind"] = kind;
    if (name !== undefined) document["name"] = name;
    return { ...document, ...body };
  });
const documentLists = fc.uniqueArray(documentValue, {
  maxLength: 4,
  selector: (document) => `${String(document["kind"])}/${String(document["name"])}`,
});

const pointer = fc.oneof(
  fc.constantFrom(
    "",
    "/",
    "/network",
    "/network/interfaces/0",
    "/network/interfaces/-",
    "/certSANs/1",
    "/x/~0",
    "/a~",
  ),
  fc
    .array(fc.constantFrom("network", "interfaces", "0", "1", "-", "name", "files", "x", "~1", "01"), {
      maxLength: 4,
    })
    .map((tokens) => tokens.map((token) => `/${token}`).join("")),
);
const operation = fc.record(
  {
    op: fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "merge", 7),
    path: fc.oneof({ weight: 9, arbitrary: pointer }, { weight: 1, arbitrary: fc.constant(3) }),
    from: pointer,
    value: mergePatches,
    document: fc.constantFrom("ClusterConfig", "TrustedRootsConfig/a", "MachineConfig", "Nope", "", 5),
  },
  { requiredKeys: ["op"], noNullPrototype: true },
);
const strategicDocument = fc
  .tuple(
    fc.option(kinds, { nil: undefined }),
    fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
    deletingPatches,
  )
  .map(([kind, name, body]) =>
    kind === undefined
      ? body
      : { apiVersion: "stele.dev/v1alpha1", kind, ...(name ? { name } : {}), ...body },
  );
/** Patches made the way users make them: YAML text, some of it malformed, read by parsePatch. */
const patchText = fc.oneof(
  fc
    .array(strategicDocument, { minLength: 1, maxLength: 3 })
    .map((documents) => documents.map((document) => stringify(document)).join("---\n")),
  fc.array(operation, { maxLength: 4 }).map((operations) => JSON.stringify(operations)),
  fc
    .array(
      fc.constantFrom(
        "- ",
        ": ",
        "\n",
        "  ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "op",
        "/x",
        "---",
        "'",
        "$patch",
        "~",
        "null",
      ),
      {
        maxLength: 12,
      },
    )
    .map((tokens) => tokens.join("")),
);

test("property: applyPatches throws nothing but SteleError and never mutates its inputs", () => {
  let applied = 0;
  fc.assert(
    fc.property(documentLists, fc.array(patchText, { maxLength: 3 }), (documents, texts) => {
      const before = structuredClone(documents);
      deepFreeze(documents);
      const patches: Patch[] = [];
      for (const text of texts) {
        try {
          patches.push(deepFreeze(parsePatch(text, { source: "@p.yaml" })));
        } catch (error) {
          expectSteleError(error);
        }
      }
      try {
        applyPatches(documents as ConfigDocumentValue[], patches);
        applied++;
      } catch (error) {
        expectSteleError(error);
      }
      assert.deepStrictEqual(documents, before);
    }),
    { numRuns: RUNS },
  );
  assert.ok(applied > RUNS / 10, `only ${applied} of ${RUNS} patch sets applied`);
});

test("property: applyJsonPatch throws nothing but SteleError and never mutates its inputs", () => {
  fc.assert(
    fc.property(targets, fc.array(operation, { maxLength: 5 }), (document, operations) => {
      const before = structuredClone([document, operations]);
      deepFreeze(document);
      deepFreeze(operations);
      try {
        applyJsonPatch(document, operations as JsonPatchOperation[]);
      } catch (error) {
        expectSteleError(error);
      }
      assert.deepStrictEqual([document, operations], before);
    }),
    { numRuns: RUNS },
  );
});

test("property: add then remove of a new member gives back the document", () => {
  fc.assert(
    fc.property(targets, fc.string({ maxLength: 4 }), mergePatches, (document, key, value) => {
      fc.pre(!Object.hasOwn(document, key));
      const path = `/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      const operations: JsonPatchOperation[] = [
        { op: "add", path, value },
        { op: "test", path, value },
        { op: "remove", path },
      ];
      assert.deepStrictEqual(applyJsonPatch(document, operations), document);
    }),
    { numRuns: RUNS },
  );
});
