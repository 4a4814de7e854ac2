import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import {
  alternateRounds,
  type BenchRow,
  formatNumber,
  formatTable,
  measure,
  percentile,
  summarize,
  throughput,
  toRows,
} from "./harness.ts";

const steleError = (code: string) => (error: unknown) =>
  (error as { name?: string; code?: string }).name === "SteleError" &&
  (error as { code?: string }).code === code;

describe("percentile", () => {
  const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  for (const [p, expected] of [
    [0, 1],
    [10, 1],
    [11, 2],
    [50, 5],
    [90, 9],
    [91, 10],
    [99, 10],
    [100, 10],
  ] as const) {
    test(`p${p} of 1..10 is ${expected} (nearest rank)`, () => {
      assert.equal(percentile(oneToTen, p), expected);
    });
  }

  test("of one sample is that sample", () => {
    assert.equal(percentile([0.42], 50), 0.42);
    assert.equal(percentile([0.42], 99), 0.42);
  });

  test("is a sample that at least p% of the samples do not exceed, and fewer than p% are below", () => {
    const samples = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(samples, fc.integer({ min: 1, max: 100 }), (values, p) => {
        const sorted = [...values].sort((a, b) => a - b);
        const result = percentile(sorted, p);
        assert.ok(sorted.includes(result));
        const atOrBelow = sorted.filter((v) => v <= result).length;
        const below = sorted.filter((v) => v < result).length;
        assert.ok(atOrBelow >= (p / 100) * sorted.length);
        assert.ok(below < (p / 100) * sorted.length);
      }),
    );
  });

  test("refuses no samples and a p outside 0..100", () => {
    assert.throws(() => percentile([], 50), steleError("invalid-argument"));
    assert.throws(() => percentile([1], 101), steleError("invalid-argument"));
    assert.throws(() => percentile([1], -1), steleError("invalid-argument"));
    assert.throws(() => percentile([1], Number.NaN), steleError("invalid-argument"));
  });
});

describe("summarize", () => {
  test("gives p50, p99 and mean, and keeps the samples in call order", () => {
    const samples = [3, 1, 2, 100];
    assert.deepEqual(summarize(samples), { samples: [3, 1, 2, 100], p50: 2, p99: 100, mean: 26.5 });
  });
});

describe("measure", () => {
  test("times each of the iterations after untimed warm-up calls", async () => {
    let calls = 0;
    const result = await measure(
      async () => {
        calls++;
        await sleep(5);
      },
      { iterations: 3, warmup: 2 },
    );
    assert.equal(calls, 5);
    assert.equal(result.samples.length, 3);
    // Timers never fire much early; a clock in the wrong unit would be off by 1000.
    for (const sample of result.samples) assert.ok(sample >= 4 && sample < 1000, `${sample} ms`);
  });

  test("refuses zero iterations", async () => {
    await assert.rejects(
      measure(() => {}, { iterations: 0 }),
      steleError("invalid-argument"),
    );
  });
});

describe("throughput", () => {
  test("runs every worker for the window and rates the completed calls", async () => {
    const perWorker = [0, 0, 0, 0];
    const result = await throughput(
      async (worker) => {
        await sleep(1);
        perWorker[worker]!++;
      },
      { concurrency: 4, durationMs: 50 },
    );
    assert.ok(
      perWorker.every((n) => n > 0),
      `calls per worker: ${perWorker}`,
    );
    assert.equal(
      result.operations,
      perWorker.reduce((a, b) => a + b),
    );
    assert.ok(result.elapsedMs >= 50);
    assert.equal(result.perSecond, result.operations / (result.elapsedMs / 1000));
  });

  test("refuses no workers and an empty window", async () => {
    await assert.rejects(
      throughput(async () => {}, { concurrency: 0, durationMs: 10 }),
      steleError("invalid-argument"),
    );
    await assert.rejects(
      throughput(async () => {}, { concurrency: 1, durationMs: 0 }),
      steleError("invalid-argument"),
    );
  });
});

describe("formatNumber", () => {
  for (const [value, text] of [
    [0.1234, "0.123"],
    [1.234, "1.23"],
    [12.34, "12.3"],
    [123.4, "123"],
    [12345.6, "12346"],
    [9.999, "10.0"],
    [99.96, "100"],
    [0.0004567, "0.000457"],
    [-1.5, "-1.50"],
    [0, "0"],
    [Number.NaN, "n/a"],
    [Number.POSITIVE_INFINITY, "∞"],
  ] as const) {
    test(`${value} reads ${text}`, () => assert.equal(formatNumber(value), text));
  }
});

describe("toRows", () => {
  test("names the benchmark and divides value by floor", () => {
    assert.deepEqual(toRows("grpc-echo", [{ figure: "p50", unit: "ms", value: 3, floor: 2 }]), [
      { benchmark: "grpc-echo", figure: "p50", unit: "ms", value: 3, floor: 2, ratio: 1.5 },
    ]);
  });
});

describe("formatTable", () => {
  const rows: BenchRow[] = [
    {
      benchmark: "grpc-echo",
      figure: "unary latency p50",
      unit: "ms",
      value: 0.312,
      floor: 0.3,
      ratio: 1.04,
    },
    { benchmark: "grpc-echo", figure: "throughput", unit: "req/s", value: 3400, floor: 3500, ratio: 0.9714 },
  ];

  test("prints benchmark, figure, value and floor with units, and the ratio", () => {
    assert.equal(
      formatTable(rows),
      [
        "| benchmark | figure            |      value |      floor |  ratio |",
        "| --------- | ----------------- | ---------: | ---------: | -----: |",
        "| grpc-echo | unary latency p50 |   0.312 ms |   0.300 ms |  1.04× |",
        "| grpc-echo | throughput        | 3400 req/s | 3500 req/s | 0.971× |",
      ].join("\n"),
    );
  });

  test("keeps columns aligned and escapes pipes, for any figure names", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 5 }), (figures) => {
        const lines = formatTable(
          figures.map((figure) => ({ benchmark: "b", figure, unit: "ms", value: 1, floor: 2, ratio: 0.5 })),
        ).split("\n");
        assert.equal(lines.length, figures.length + 2);
        assert.equal(new Set(lines.map((l) => l.length)).size, 1);
        // Five cells per line: six unescaped pipes.
        for (const line of lines) assert.equal(line.match(/(?<!\\)\|/g)?.length, 6);
      }),
    );
  });

  test("of no rows is the header alone", () => {
    assert.equal(formatTable([]).split("\n").length, 2);
  });
});

test("alternateRounds runs floor and value in ABBA order and stops when interrupted", async () => {
  const order: string[] = [];
  const controller = new AbortController();
  const result = await alternateRounds(
    async () => order.push("floor"),
    async () => order.push("value"),
    { rounds: 4, signal: controller.signal, name: "t" },
  );
  assert.deepEqual(order, ["floor", "value", "value", "floor", "floor", "value", "value", "floor"]);
  assert.equal(result.floors.length, 4);
  controller.abort();
  await assert.rejects(
    alternateRounds(
      async () => 0,
      async () => 0,
      { rounds: 4, signal: controller.signal, name: "t" },
    ),
    /Benchmark interrupted: t/,
  );
});
