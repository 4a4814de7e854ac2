import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { z } from "zod";
import { readClusterStateFile, stateFromPlan, writeClusterStateFile } from "./cluster-state-file.ts";

const work = mkdtempSync(join(tmpdir(), "stele-state-file-"));
after(() => rmSync(work, { recursive: true, force: true }));

const schema = z.strictObject({
  version: z.literal(1),
  name: z.string(),
  nodes: z.array(z.object({ pid: z.int().optional() })),
});

describe("cluster state files", () => {
  test("what is written is read back, mode 0600", () => {
    const path = join(work, "round-trip.json");
    const state = { version: 1 as const, name: "dev", nodes: [{ pid: 42 }] };
    writeClusterStateFile(path, state);
    assert.deepEqual(readClusterStateFile(path, schema), state);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test("no file is no state, not an error", () => {
    assert.equal(readClusterStateFile(join(work, "absent.json"), schema), undefined);
  });

  for (const [what, content, detail] of [
    ["not JSON", "{", /is not readable: .*JSON/],
    ["another shape", '{"version": 2, "name": "dev", "nodes": []}', /is not readable: version: /],
    [
      "an unknown field",
      '{"version": 1, "name": "dev", "nodes": [], "extra": 1}',
      /is not readable: \(root\): /,
    ],
  ] as const) {
    test(`a file of ${what} is refused, saying destroy still works by name`, () => {
      const path = join(work, `${what}.json`);
      writeFileSync(path, content);
      assert.throws(
        () => readClusterStateFile(path, schema),
        (error: unknown) => {
          assert.ok(error instanceof Error && "code" in error && error.code === "invalid-config");
          assert.match(error.message, new RegExp(`^Cluster state ${path.replaceAll(".", "\\.")} `));
          assert.match(error.message, detail);
          assert.match(String((error as { hint?: string }).hint), /cluster destroy` still removes/);
          return true;
        },
      );
    });
  }

  test("a state from a plan copies its nodes and leaves out an unset Kubernetes version", () => {
    const plan = { name: "dev", kubernetesVersion: undefined, nodes: [{ name: "n1" }] };
    const state = stateFromPlan(plan, new Date("2025-01-02T03:04:05Z"));
    assert.deepEqual(state, {
      version: 1,
      name: "dev",
      nodes: [{ name: "n1" }],
      createdAt: "2025-01-02T03:04:05.000Z",
    });
    assert.ok(!("kubernetesVersion" in state));
    assert.notEqual(
      state.nodes[0],
      plan.nodes[0],
      "create writes PIDs into the state's nodes, not the plan's",
    );
    assert.equal(
      stateFromPlan({ ...plan, kubernetesVersion: "1.33.1" }, new Date()).kubernetesVersion,
      "1.33.1",
    );
  });
});
