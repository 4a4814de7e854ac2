import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { KmodError } from "./kmod-error.ts";
import { moduleLoadOrder } from "./module-load-order.ts";
import { parseModulesAlias } from "./parse-modules-alias.ts";
import { parseModulesDep } from "./parse-modules-dep.ts";
import type { ModuleIndex } from "./read-module-index.ts";

// Debian 12's virtio chain (as in its modules.dep), plus a built-in and an alias.
const INDEX: ModuleIndex = {
  modules: parseModulesDep(`kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/squashfs/squashfs.ko.xz:
`),
  builtin: new Set(["loop", "ext4"]),
  aliases: parseModulesAlias(
    "alias virtio:d00000002v* virtio_blk\nalias virtio:d00000001v* virtio_net\nalias fs-squashfs squashfs\nalias block-major-7-* loop\nalias virtio:d0000000?v* virtio-net\n",
  ),
};
const names = (wanted: readonly string[]) => moduleLoadOrder(INDEX, wanted).load.map((entry) => entry.name);

test("dependencies first, virtio_ring before virtio before the drivers, each once", () => {
  assert.deepEqual(names(["virtio_blk", "virtio_net"]), [
    "virtio_ring",
    "virtio",
    "virtio_blk",
    "failover",
    "net_failover",
    "virtio_net",
  ]);
});

test("the order follows the wanted list: the same inputs always give the same plan", () => {
  assert.deepEqual(names(["virtio_net", "virtio_blk"]), [
    "virtio_ring",
    "virtio",
    "failover",
    "net_failover",
    "virtio_net",
    "virtio_blk",
  ]);
  assert.deepEqual(names(["virtio-net", "virtio_net", "virtio_ring"]), names(["virtio_net"]));
});

test("built-in modules are reported, not loaded", () => {
  const plan = moduleLoadOrder(INDEX, ["loop", "squashfs", "loop"]);
  assert.deepEqual(plan.builtin, ["loop"]);
  assert.deepEqual(
    plan.load.map((entry) => [entry.name, entry.path, entry.compression]),
    [["squashfs", "kernel/fs/squashfs/squashfs.ko.xz", "xz"]],
  );
});

test("aliases resolve to every module they match, built-in ones included", () => {
  // virtio:d00000002 matches virtio_blk's alias and the broader virtio-net one.
  assert.deepEqual(names(["virtio:d00000002v00001AF4"]), [
    "virtio_ring",
    "virtio",
    "virtio_blk",
    "failover",
    "net_failover",
    "virtio_net",
  ]);
  assert.deepEqual(names(["fs-squashfs"]), ["squashfs"]);
  assert.deepEqual(moduleLoadOrder(INDEX, ["block-major-7-0"]).builtin, ["loop"]);
  assert.deepEqual(names(["virtio:d00000001v00001AF4"]), [
    "virtio_ring",
    "virtio",
    "failover",
    "net_failover",
    "virtio_net",
  ]);
});

const ERRORS: ReadonlyArray<[string, ModuleIndex, string[], string, string]> = [
  [
    "a wanted module the kernel lacks",
    INDEX,
    ["virtio_blk", "nvme"],
    "not-found",
    "Kernel module not found: nvme",
  ],
  [
    "a dependency without a line of its own",
    { ...INDEX, modules: parseModulesDep("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/c.ko\n") },
    ["a"],
    "not-found",
    "Kernel module not found: a → b → c",
  ],
  [
    "an alias to a module modules.dep does not list",
    { ...INDEX, aliases: parseModulesAlias("alias fs-erofs erofs\n") },
    ["fs-erofs"],
    "not-found",
    "Kernel module not found: fs-erofs → erofs",
  ],
  [
    "a dependency cycle",
    {
      ...INDEX,
      modules: parseModulesDep(
        "kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko: kernel/b.ko\n",
      ),
    },
    ["a"],
    "invalid-argument",
    "Kernel module dependency cycle: b → c → b",
  ],
];

for (const [what, index, wanted, code, message] of ERRORS) {
  test(`${what} is an error naming the chain`, () => {
    assert.throws(
      () => moduleLoadOrder(index, wanted),
      (error: unknown) => {
        assert.ok(error instanceof KmodError);
        assert.equal(error.name, "SteleError");
        assert.equal(error.code, code);
        assert.equal(error.message, message);
        assert.ok(error.hint.length > 0);
        return true;
      },
    );
  });
}

test("on any dependency graph: each needed module once, after everything it needs, nothing else", () => {
  // Module i may depend on modules < i (a DAG, as depmod guarantees); lists are transitive, as in modules.dep.
  const graph = fc
    .integer({ min: 1, max: 25 })
    .chain((n) =>
      fc.tuple(
        fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j)))),
        fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 5 }),
      ),
    );
  fc.assert(
    fc.property(graph, ([direct, wanted]) => {
      const closure = (i: number, into = new Set<number>()): Set<number> => {
        for (const j of direct[i]!) if (!into.has(j)) closure(j, into.add(j));
        return into;
      };
      const text = direct
        .map((_, i) => `kernel/m${i}.ko:${[...closure(i)].map((j) => ` kernel/m${j}.ko`).join("")}\n`)
        .join("");
      const index: ModuleIndex = { modules: parseModulesDep(text), builtin: new Set(), aliases: [] };
      const order = moduleLoadOrder(
        index,
        wanted.map((i) => `m${i}`),
      ).load.map((entry) => Number(entry.name.slice(1)));
      assert.equal(new Set(order).size, order.length);
      const needed = new Set(wanted.flatMap((i) => [i, ...closure(i)]));
      assert.deepEqual(new Set(order), needed);
      for (const [at, i] of order.entries()) {
        for (const j of direct[i]!) assert.ok(order.indexOf(j) < at, `m${j} before m${i}`);
      }
      assert.deepEqual(
        moduleLoadOrder(
          index,
          wanted.map((i) => `m${i}`),
        ).load.map((e) => e.name),
        order.map((i) => `m${i}`),
      );
    }),
    { numRuns: 300 },
  );
});
