import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../../../machinery/errors.ts";
import { dependantClosure, dependencyClosure, orderByDependencies } from "./dependency-graph.ts";

const nodes = [
  { id: "containerd" },
  { id: "etcd", dependsOn: ["containerd"] },
  { id: "kubelet", dependsOn: ["containerd"] },
  { id: "apid" },
  { id: "kube-apiserver", dependsOn: ["etcd", "kubelet"] },
];
const byId = new Map(nodes.map((node) => [node.id, node]));

test("orders every service after its dependencies, keeping the given order otherwise", () => {
  assert.deepEqual(orderByDependencies(nodes), ["containerd", "etcd", "kubelet", "apid", "kube-apiserver"]);
});

test("a service's dependency closure is what must start for it to start", () => {
  assert.deepEqual([...dependencyClosure(byId, ["kube-apiserver"])].sort(), [
    "containerd",
    "etcd",
    "kube-apiserver",
    "kubelet",
  ]);
});

test("a service's dependant closure is what must stop for it to stop", () => {
  assert.deepEqual([...dependantClosure(byId, ["containerd"])].sort(), [
    "containerd",
    "etcd",
    "kube-apiserver",
    "kubelet",
  ]);
  assert.deepEqual([...dependantClosure(byId, ["apid"])], ["apid"]);
});

const refusals: Array<[string, Array<{ id: string; dependsOn?: string[] }>, string]> = [
  ["a self-dependency", [{ id: "a", dependsOn: ["a"] }], "Service dependency cycle: a -> a"],
  [
    "a cycle behind an acyclic prefix",
    [
      { id: "x", dependsOn: ["a"] },
      { id: "a", dependsOn: ["b"] },
      { id: "b", dependsOn: ["a"] },
    ],
    "Service dependency cycle: a -> b -> a",
  ],
  [
    "an unknown dependency",
    [{ id: "a", dependsOn: ["ghost"] }],
    'Unknown dependency of service "a": no service "ghost" is loaded',
  ],
  ["a duplicate id", [{ id: "a" }, { id: "a" }], 'Duplicate service: "a" is defined twice'],
];
for (const [what, graph, message] of refusals) {
  test(`refuses ${what}`, () => {
    assert.throws(
      () => orderByDependencies(graph),
      (error: unknown) => isSteleError(error) && error.message === message && error.hint !== undefined,
    );
  });
}

/** Random graphs on ids s0..s(n-1): each edge list comes from fast-check. */
const graphs = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc
      .array(fc.array(fc.nat({ max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n })
      .map((edges) => edges.map((deps, i) => ({ id: `s${i}`, dependsOn: deps.map((d) => `s${d}`) }))),
  );

test("property: a graph is either ordered with every dependency first, or refused naming a real cycle", () => {
  fc.assert(
    fc.property(graphs, (graph) => {
      const deps = new Map(graph.map((node) => [node.id, node.dependsOn]));
      let order: string[];
      try {
        order = orderByDependencies(graph);
      } catch (error) {
        assert.ok(isSteleError(error));
        const cycle = error.message.replace("Service dependency cycle: ", "").split(" -> ");
        assert.equal(cycle[0], cycle.at(-1), "the cycle ends where it starts");
        for (let i = 0; i + 1 < cycle.length; i++) {
          assert.ok(deps.get(cycle[i]!)!.includes(cycle[i + 1]!), `${cycle[i]} depends on ${cycle[i + 1]}`);
        }
        return;
      }
      assert.equal(order.length, graph.length);
      const position = new Map(order.map((id, index) => [id, index]));
      for (const node of graph) {
        for (const dep of node.dependsOn) assert.ok(position.get(dep)! < position.get(node.id)!);
      }
    }),
  );
});

test("property: a graph whose edges only point to earlier services is never refused", () => {
  fc.assert(
    fc.property(graphs, (graph) => {
      const acyclic = graph.map((node, i) => ({
        id: node.id,
        dependsOn: node.dependsOn.filter((dep) => Number(dep.slice(1)) < i),
      }));
      assert.equal(orderByDependencies(acyclic).length, graph.length);
    }),
  );
});
