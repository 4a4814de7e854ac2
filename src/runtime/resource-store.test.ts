import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { isSteleError } from "../machinery/errors.ts";
import { ResourceStore } from "./resource-store.ts";
import { defineResourceType } from "./resource-type.ts";

const Hostnames = defineResourceType({
  type: "Hostnames.net.stele.dev",
  aliases: ["hostname"],
  defaultNamespace: "network",
  schema: z.object({ hostname: z.string().min(1), domain: z.string().optional() }),
});
const Links = defineResourceType<{ up: boolean }>({
  type: "Links.net.stele.dev",
  defaultNamespace: "network",
});

function fixedClock(): { now: () => Date; advance: (ms: number) => void } {
  let time = Date.parse("2025-01-01T00:00:00Z");
  return {
    now: () => new Date(time),
    advance: (ms) => {
      time += ms;
    },
  };
}

function code(pattern?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isSteleError(error), `expected a SteleError, got ${String(error)}`);
    if (pattern) assert.match(`${error.code}: ${error.message}`, pattern);
    assert.ok(error.hint, "every store error carries a hint");
    return true;
  };
}

describe("create and get", () => {
  test("a created resource is at version 1, running, with the metadata the store writes", () => {
    const clock = fixedClock();
    const store = new ResourceStore({ now: clock.now });
    store.create(Hostnames, "hostname", {
      spec: { hostname: "node-1" },
      owner: "c1",
      labels: { role: "cp" },
    });
    const got = store.get(Hostnames, "hostname");
    assert.deepEqual(got, {
      metadata: {
        namespace: "network",
        type: "Hostnames.net.stele.dev",
        id: "hostname",
        version: 1,
        phase: "running",
        owner: "c1",
        labels: { role: "cp" },
        created: clock.now(),
        updated: clock.now(),
        finalizers: [],
      },
      spec: { hostname: "node-1" },
    });
  });

  test("get returns undefined for a missing resource, another namespace or another type", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true } });
    assert.equal(store.get(Links, "eth1"), undefined);
    assert.equal(store.get(Links, "eth0", { namespace: "other" }), undefined);
    assert.equal(store.get(Hostnames, "eth0"), undefined);
  });

  test("the same id in two namespaces names two resources", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true } });
    store.create(Links, "eth0", { spec: { up: false }, namespace: "staging" });
    assert.equal(store.get(Links, "eth0")?.spec.up, true);
    assert.equal(store.get(Links, "eth0", { namespace: "staging" })?.spec.up, false);
  });

  test("creating a taken id fails with already-exists", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true } });
    assert.throws(
      () => store.create(Links, "eth0", { spec: { up: false } }),
      code(/^already-exists: .*network\/eth0/),
    );
    assert.equal(store.get(Links, "eth0")?.spec.up, true);
  });

  test("resources are frozen snapshots: neither the caller's object nor the returned one changes the store", () => {
    const store = new ResourceStore();
    const spec = { hostname: "a" };
    const created = store.create(Hostnames, "hostname", { spec });
    spec.hostname = "changed";
    assert.throws(() => {
      (created.spec as { hostname: string }).hostname = "b";
    }, TypeError);
    assert.throws(() => {
      (created.metadata.finalizers as string[]).push("x");
    }, TypeError);
    assert.equal(store.get(Hostnames, "hostname")?.spec.hostname, "a");
  });

  test("a spec is validated and normalised by the type's schema", () => {
    const store = new ResourceStore();
    assert.throws(
      () => store.create(Hostnames, "hostname", { spec: { hostname: "" } }),
      code(/^invalid-argument: Invalid spec of Hostnames.net.stele.dev network\/hostname: hostname: /),
    );
    const extra = { hostname: "a", stray: 1 } as { hostname: string };
    assert.deepEqual(store.create(Hostnames, "hostname", { spec: extra }).spec, { hostname: "a" });
  });

  test("a spec that is not plain data is refused", () => {
    const store = new ResourceStore();
    const Anything = defineResourceType<unknown>({ type: "Things.test.stele.dev", defaultNamespace: "test" });
    assert.throws(() => store.create(Anything, "x", { spec: { f: () => 1 } }), code(/^invalid-argument: /));
  });

  for (const [what, call] of [
    ["an empty id", (s: ResourceStore) => s.create(Links, "", { spec: { up: true } })],
    ["an id with a space", (s: ResourceStore) => s.create(Links, "a b", { spec: { up: true } })],
    [
      "a bad namespace",
      (s: ResourceStore) => s.create(Links, "a", { spec: { up: true }, namespace: "Bad NS" }),
    ],
    [
      "a bad label",
      (s: ResourceStore) => s.create(Links, "a", { spec: { up: true }, labels: { "a b": "c" } }),
    ],
  ] as const) {
    test(`${what} is refused`, () => {
      assert.throws(() => call(new ResourceStore()), code(/^invalid-argument: /));
    });
  }
});

describe("update", () => {
  test("each change gets the next version and a new updated time; created stays", () => {
    const clock = fixedClock();
    const store = new ResourceStore({ now: clock.now });
    const v1 = store.create(Hostnames, "hostname", { spec: { hostname: "a" } });
    clock.advance(1000);
    const v2 = store.update(Hostnames, "hostname", { expectedVersion: 1, spec: { hostname: "b" } });
    const v3 = store.update(Hostnames, "hostname", {
      expectedVersion: 2,
      spec: { hostname: "b" },
      labels: { x: "y" },
    });
    assert.deepEqual(
      [v1, v2, v3].map((r) => r.metadata.version),
      [1, 2, 3],
    );
    assert.equal(v2.metadata.created.getTime(), v1.metadata.created.getTime());
    assert.equal(v2.metadata.updated.getTime() - v1.metadata.updated.getTime(), 1000);
    assert.deepEqual(store.get(Hostnames, "hostname")?.metadata.labels, { x: "y" });
  });

  test("a stale expected version is a conflict and changes nothing", () => {
    const store = new ResourceStore();
    store.create(Hostnames, "hostname", { spec: { hostname: "a" } });
    store.update(Hostnames, "hostname", { expectedVersion: 1, spec: { hostname: "b" } });
    assert.throws(
      () => store.update(Hostnames, "hostname", { expectedVersion: 1, spec: { hostname: "c" } }),
      code(/^failed-precondition: Version conflict on .*: expected version 1, found 2$/),
    );
    assert.equal(store.get(Hostnames, "hostname")?.spec.hostname, "b");
  });

  test("an update that changes nothing keeps the version", () => {
    const store = new ResourceStore();
    store.create(Hostnames, "hostname", { spec: { hostname: "a" }, labels: { k: "v" } });
    const same = store.update(Hostnames, "hostname", { expectedVersion: 1, spec: { hostname: "a" } });
    assert.equal(same.metadata.version, 1);
  });

  test("updating a missing resource fails with not-found", () => {
    const store = new ResourceStore();
    assert.throws(
      () => store.update(Links, "eth9", { expectedVersion: 1, spec: { up: true } }),
      code(/^not-found: Cannot update Links.net.stele.dev network\/eth9: no such resource$/),
    );
  });
});

describe("ownership", () => {
  const cases: Array<[string | null, string | null, boolean]> = [
    ["network.LinkController", "network.LinkController", true],
    ["network.LinkController", "network.OtherController", false],
    ["network.LinkController", null, false],
    [null, "network.LinkController", false],
    [null, null, true],
  ];
  const operations = {
    update: (s: ResourceStore, owner: string | null) =>
      s.update(Links, "eth0", { expectedVersion: 1, spec: { up: false }, owner }),
    teardown: (s: ResourceStore, owner: string | null) => s.teardown(Links, "eth0", { owner }),
    destroy: (s: ResourceStore, owner: string | null) => s.destroy(Links, "eth0", { owner }),
  };
  for (const [name, operation] of Object.entries(operations)) {
    for (const [owner, writer, allowed] of cases) {
      test(`${name}: a resource owned by ${owner ?? "nobody"} ${allowed ? "may" : "may not"} be written by ${writer ?? "nobody"}`, () => {
        const store = new ResourceStore();
        store.create(Links, "eth0", { spec: { up: true }, owner });
        if (allowed) {
          operation(store, writer);
        } else {
          assert.throws(
            () => operation(store, writer),
            (error) => {
              code(/^permission-denied: /)(error);
              const message = (error as Error).message;
              for (const party of [owner, writer])
                assert.ok(message.includes(party ?? "no controller"), message);
              return true;
            },
          );
          assert.deepEqual(store.get(Links, "eth0")?.metadata.version, 1);
        }
      });
    }
  }
});

describe("teardown, finalizers and destroy", () => {
  test("a resource with finalizers is torn down, then destroyed once they are all removed", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true }, owner: "owner" });
    store.addFinalizer(Links, "eth0", { finalizer: "b.Consumer" });
    store.addFinalizer(Links, "eth0", { finalizer: "a.Consumer" });
    assert.deepEqual(store.get(Links, "eth0")?.metadata.finalizers, ["a.Consumer", "b.Consumer"]);
    assert.throws(
      () => store.destroy(Links, "eth0", { owner: "owner" }),
      code(/^failed-precondition: Cannot destroy .*eth0: finalizers remain: a.Consumer, b.Consumer$/),
    );

    const torn = store.teardown(Links, "eth0", { owner: "owner" });
    assert.equal(torn.metadata.phase, "tearing-down");
    assert.equal(torn.metadata.version, 4);
    assert.equal(
      store.teardown(Links, "eth0", { owner: "owner" }).metadata.version,
      4,
      "teardown is idempotent",
    );
    assert.throws(
      () => store.update(Links, "eth0", { expectedVersion: 4, spec: { up: false }, owner: "owner" }),
      code(/^failed-precondition: .*tearing down/),
    );
    assert.throws(
      () => store.addFinalizer(Links, "eth0", { finalizer: "c" }),
      code(/^failed-precondition: /),
    );

    store.removeFinalizer(Links, "eth0", { finalizer: "a.Consumer" });
    store.removeFinalizer(Links, "eth0", { finalizer: "b.Consumer" });
    store.destroy(Links, "eth0", { owner: "owner" });
    assert.equal(store.get(Links, "eth0"), undefined);
  });

  test("adding a finalizer twice or removing an absent one changes nothing", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true } });
    store.addFinalizer(Links, "eth0", { finalizer: "f" });
    assert.equal(store.addFinalizer(Links, "eth0", { finalizer: "f" }).metadata.version, 2);
    assert.equal(store.removeFinalizer(Links, "eth0", { finalizer: "g" }).metadata.version, 2);
  });

  test("anyone may set a finalizer, whoever owns the resource", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true }, owner: "owner" });
    assert.deepEqual(store.addFinalizer(Links, "eth0", { finalizer: "other" }).metadata.finalizers, [
      "other",
    ]);
  });

  test("destroy with a stale expected version fails", () => {
    const store = new ResourceStore();
    store.create(Links, "eth0", { spec: { up: true } });
    store.update(Links, "eth0", { expectedVersion: 1, spec: { up: false } });
    assert.throws(() => store.destroy(Links, "eth0", { expectedVersion: 1 }), code(/^failed-precondition: /));
  });
});

describe("list and label selectors", () => {
  const store = new ResourceStore();
  store.create(Links, "eth1", { spec: { up: true }, labels: { kind: "physical", speed: "10g" } });
  store.create(Links, "eth0", { spec: { up: true }, labels: { kind: "physical", speed: "1g" } });
  store.create(Links, "lo", { spec: { up: true }, labels: { kind: "loopback" } });
  store.create(Links, "br0", { spec: { up: false }, labels: { kind: "bridge" }, namespace: "other" });

  const cases: Array<[string, string[]]> = [
    ["", ["eth0", "eth1", "lo"]],
    ["kind=physical", ["eth0", "eth1"]],
    ["kind!=physical", ["lo"]],
    ["speed", ["eth0", "eth1"]],
    ["!speed", ["lo"]],
    ["speed in (1g,100g)", ["eth0"]],
    ["kind=physical,speed notin (1g)", ["eth1"]],
    ["kind=bridge", []],
  ];
  for (const [selector, ids] of cases) {
    test(`selector ${JSON.stringify(selector)} lists ${ids.join(", ") || "nothing"}, sorted by id`, () => {
      assert.deepEqual(
        store.list(Links, { labelSelector: selector }).map((r) => r.metadata.id),
        ids,
      );
    });
  }

  test("a parsed selector works as well as text", () => {
    const selected = store.list(Links, {
      labelSelector: [{ key: "kind", operator: "in", values: ["loopback"] }],
    });
    assert.deepEqual(
      selected.map((r) => r.metadata.id),
      ["lo"],
    );
  });

  test("list is per namespace", () => {
    assert.deepEqual(
      store.list(Links, { namespace: "other" }).map((r) => r.metadata.id),
      ["br0"],
    );
    assert.deepEqual(store.list(Links, { namespace: "empty" }), []);
  });
});

describe("modify", () => {
  test("creates a missing resource, then updates it from its current spec", async () => {
    const store = new ResourceStore();
    const seen: Array<string | undefined> = [];
    const transform = (current: { hostname: string } | undefined) => {
      seen.push(current?.hostname);
      return { hostname: `${current?.hostname ?? ""}x` };
    };
    await store.modify(Hostnames, "hostname", { transform, owner: "c" });
    const second = await store.modify(Hostnames, "hostname", { transform, owner: "c" });
    assert.deepEqual(seen, [undefined, "x"]);
    assert.equal(second.spec.hostname, "xx");
    assert.equal(second.metadata.version, 2);
    assert.equal(second.metadata.owner, "c");
  });

  test("re-runs the transform when the resource changed while it ran", async () => {
    const store = new ResourceStore();
    store.create(Hostnames, "hostname", { spec: { hostname: "a" } });
    let calls = 0;
    const result = await store.modify(Hostnames, "hostname", {
      transform: async (current) => {
        calls++;
        if (calls === 1) {
          const version = store.get(Hostnames, "hostname")!.metadata.version;
          store.update(Hostnames, "hostname", { expectedVersion: version, spec: { hostname: "b" } });
        }
        await Promise.resolve();
        return { hostname: `${current!.hostname}!` };
      },
    });
    assert.equal(calls, 2);
    assert.equal(result.spec.hostname, "b!", "the second run started from the concurrent write");
  });

  test("gives up with failed-precondition when the resource changes on every attempt", async () => {
    const store = new ResourceStore();
    store.create(Hostnames, "hostname", { spec: { hostname: "a" } });
    let n = 0;
    await assert.rejects(
      store.modify(Hostnames, "hostname", {
        retries: 2,
        transform: (current) => {
          const version = store.get(Hostnames, "hostname")!.metadata.version;
          store.update(Hostnames, "hostname", { expectedVersion: version, spec: { hostname: `w${n++}` } });
          return current!;
        },
      }),
      code(/^failed-precondition: Cannot modify .*: it changed during each of 3 attempts$/),
    );
  });
});

describe("types", () => {
  test("a type resolves by name in any case and by alias", () => {
    const store = new ResourceStore();
    store.registerType(Hostnames);
    store.registerType(Hostnames);
    assert.equal(store.resolveType("hostname"), Hostnames);
    assert.equal(store.resolveType("hostnames.net.stele.dev"), Hostnames);
  });

  test("types used in a call are registered too", () => {
    const store = new ResourceStore();
    store.list(Links);
    assert.equal(store.resolveType("Links.net.stele.dev"), Links);
  });

  test("an unknown type fails with not-found and a hint naming the known ones", () => {
    const store = new ResourceStore();
    store.registerType(Hostnames);
    assert.throws(
      () => store.resolveType("hostnam"),
      (error) =>
        isSteleError(error) &&
        error.code === "not-found" &&
        /Hostnames.net.stele.dev\|hostname/.test(error.hint ?? ""),
    );
  });

  test("a second definition under a taken name or alias is refused", () => {
    const store = new ResourceStore();
    store.registerType(Hostnames);
    const again = defineResourceType({ type: "Hostnames.net.stele.dev", defaultNamespace: "network" });
    const aliasClash = defineResourceType({
      type: "Others.net.stele.dev",
      aliases: ["hostname"],
      defaultNamespace: "n",
    });
    assert.throws(() => store.registerType(again), code(/^already-exists: /));
    assert.throws(
      () => store.registerType(aliasClash),
      code(/^already-exists: .*taken by Hostnames.net.stele.dev/),
    );
  });
});

describe("close", () => {
  test("a closed store refuses writes and watches with unavailable", () => {
    const store = new ResourceStore();
    store.close();
    store.close();
    assert.throws(() => store.create(Links, "eth0", { spec: { up: true } }), code(/^unavailable: /));
    assert.throws(() => store.watch(Links, { signal: new AbortController().signal }), code(/^unavailable: /));
  });
});
