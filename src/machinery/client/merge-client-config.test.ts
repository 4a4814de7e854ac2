import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { ClientConfig, ClientContext } from "./client-config.ts";
import { mergeClientConfig } from "./merge-client-config.ts";

/** A context whose content says where it came from, so a test can tell which one survived. */
function context(tag: string): ClientContext {
  return { endpoints: [`${tag}.example`], nodes: [], ca: `ca-${tag}`, crt: `crt-${tag}`, key: `key-${tag}` };
}

function config(current: string, ...names: string[]): ClientConfig {
  return {
    context: current,
    contexts: Object.fromEntries(names.map((n) => [n, context(`${n}@${current}`)])),
  };
}

test("a context whose name is taken gets the first free suffix and becomes current", () => {
  const into = config("prod", "prod", "staging");
  const from = config("prod", "prod");
  const { config: merged, renamed } = mergeClientConfig(into, from);
  assert.deepEqual(renamed, [["prod", "prod-1"]]);
  assert.equal(merged.context, "prod-1");
  assert.deepEqual(merged.contexts["prod"], into.contexts["prod"]);
  assert.deepEqual(merged.contexts["prod-1"], from.contexts["prod"]);
  assert.deepEqual(Object.keys(merged.contexts).sort(), ["prod", "prod-1", "staging"]);
});

test("suffixes skip names already used on either side", () => {
  const into = config("a", "a", "a-1");
  const from = config("a", "a", "a-2");
  const { config: merged, renamed } = mergeClientConfig(into, from);
  assert.deepEqual(renamed, [["a", "a-3"]]);
  assert.equal(merged.context, "a-3");
  assert.deepEqual(Object.keys(merged.contexts).sort(), ["a", "a-1", "a-2", "a-3"]);
});

test("merging into an empty config takes the other config as is", () => {
  const from = config("dev", "dev");
  const { config: merged, renamed } = mergeClientConfig({ context: "", contexts: {} }, from);
  assert.deepEqual(merged, from);
  assert.deepEqual(renamed, []);
});

test("a config without a current context leaves the current one alone", () => {
  const { config: merged } = mergeClientConfig(config("prod", "prod"), config("", "dev"));
  assert.equal(merged.context, "prod");
});

test("neither input is modified", () => {
  const into = config("x", "x");
  const from = config("x", "x");
  const before = structuredClone([into, from]);
  mergeClientConfig(into, from).config.contexts["x"]!.endpoints.push("changed");
  assert.deepEqual([into, from], before);
});

const names = fc.constantFrom("prod", "prod-1", "prod-2", "dev", "a", "a-1", "__proto__", "constructor");
const arbitraryConfig = fc.uniqueArray(names, { maxLength: 6 }).chain((list) =>
  fc.record({
    context: list.length === 0 ? fc.constant("") : fc.constantFrom(...list),
    contexts: fc.constant(Object.fromEntries(list.map((n, i) => [n, context(`${n}#${i}`)]))),
  }),
);

test("merging never overwrites or loses a context (property)", () => {
  fc.assert(
    fc.property(arbitraryConfig, arbitraryConfig, (into, from) => {
      // Tag every context with its side so that equal-looking contexts stay distinguishable.
      const tag = (c: ClientConfig, side: string): ClientConfig => ({
        context: c.context,
        contexts: Object.fromEntries(
          Object.entries(c.contexts).map(([n, v]) => [n, { ...v, ca: `${side}:${n}` }]),
        ),
      });
      const a = tag(into, "into");
      const b = tag(from, "from");
      const { config: merged, renamed } = mergeClientConfig(a, b);
      // Every context of `into` is still there, unchanged, under its own name.
      for (const [name, value] of Object.entries(a.contexts)) assert.deepEqual(merged.contexts[name], value);
      // Every context of `from` is there exactly once: under its name, or under the name it was renamed to.
      const renames = new Map(renamed);
      for (const [name, value] of Object.entries(b.contexts)) {
        const target = renames.get(name) ?? name;
        assert.deepEqual(merged.contexts[target], value);
        if (renames.has(name)) assert.match(target, new RegExp(`^${name.replace(/[_$]/g, "\\$&")}-\\d+$`));
      }
      assert.equal(
        Object.keys(merged.contexts).length,
        Object.keys(a.contexts).length + Object.keys(b.contexts).length,
      );
      const expectedCurrent = b.context === "" ? a.context : (renames.get(b.context) ?? b.context);
      assert.equal(merged.context, expectedCurrent);
    }),
    { numRuns: 500 },
  );
});
