import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { discoverBenchmarks } from "./run.ts";

const benchFile = (name: string) =>
  `export default { name: "${name}", async run() { return [{ figure: "f", unit: "ms", value: 2, floor: 1 }]; } };\n`;

describe("discoverBenchmarks", () => {
  let dir: string;
  let broken: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "stele-bench-"));
    writeFileSync(join(dir, "b-grpc.bench.ts"), benchFile("grpc-echo"));
    writeFileSync(join(dir, "a-config.bench.ts"), benchFile("config-gen"));
    // Helpers and tests beside the benchmarks are not benchmarks.
    writeFileSync(join(dir, "helper.ts"), "export default 1;\n");
    broken = mkdtempSync(join(tmpdir(), "stele-bench-"));
    writeFileSync(join(broken, "x.bench.ts"), "export const run = () => [];\n");
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(broken, { recursive: true, force: true });
  });

  test("finds every *.bench.ts in file-name order", async () => {
    const found = await discoverBenchmarks(dir);
    assert.deepEqual(
      found.map((b) => [b.file, b.benchmark.name]),
      [
        ["a-config.bench.ts", "config-gen"],
        ["b-grpc.bench.ts", "grpc-echo"],
      ],
    );
    assert.deepEqual(await found[0]!.benchmark.run({ signal: new AbortController().signal, log: () => {} }), [
      { figure: "f", unit: "ms", value: 2, floor: 1 },
    ]);
  });

  test("keeps those whose name or file contains the filter", async () => {
    assert.deepEqual(
      (await discoverBenchmarks(dir, { filter: "echo" })).map((b) => b.benchmark.name),
      ["grpc-echo"],
    );
    assert.deepEqual(
      (await discoverBenchmarks(dir, { filter: "a-config" })).map((b) => b.benchmark.name),
      ["config-gen"],
    );
  });

  test("fails on a filter that matches nothing, naming the benchmarks there are", async () => {
    await assert.rejects(discoverBenchmarks(dir, { filter: "etcd" }), (error: Error & { hint?: string }) => {
      assert.equal(error.message, "No benchmark matches: etcd");
      assert.match(error.hint ?? "", /config-gen, grpc-echo/);
      return true;
    });
  });

  test("fails on a file whose default export is not a benchmark", async () => {
    await assert.rejects(
      discoverBenchmarks(broken),
      /Invalid benchmark: x\.bench\.ts does not export default/,
    );
  });
});
