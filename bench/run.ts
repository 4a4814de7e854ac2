/**
 * Runs the benchmarks: `node bench/run.ts [filter]` (or `npm run bench -- [filter]`). Finds every
 * `bench/*.bench.ts`, runs those whose file or name contains the filter one after the other (never in
 * parallel: they would measure each other), prints one table of values, floors and ratios, and writes the
 * same with the machine's description to bench/results/latest.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { arch, availableParallelism, cpus, platform, release, totalmem } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { SteleError } from "../src/machinery/errors.ts";
import { type Benchmark, type BenchRow, formatTable, toRows } from "./harness.ts";

/** A benchmark and the file it came from. */
export interface DiscoveredBenchmark {
  file: string;
  benchmark: Benchmark;
}

/** Options of {@link discoverBenchmarks}. */
export interface DiscoverOptions {
  /** Keep only benchmarks whose file name or `name` contains this text. */
  filter?: string;
}

/**
 * Imports every `*.bench.ts` of `dir` in file-name order and returns the matching ones. Fails when a file's
 * default export is not a {@link Benchmark}, and when a filter matches nothing, so a typo never passes for
 * an empty, green run.
 */
export async function discoverBenchmarks(
  dir: string,
  options: DiscoverOptions = {},
): Promise<DiscoveredBenchmark[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort();
  const all: DiscoveredBenchmark[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { default?: unknown };
    if (!isBenchmark(module.default)) {
      throw new SteleError(
        "invalid-argument",
        `Invalid benchmark: ${file} does not export default { name, run }`,
        "export default an object with a string `name` and an async `run(ctx)` returning BenchResult[]",
      );
    }
    all.push({ file, benchmark: module.default });
  }
  const { filter } = options;
  if (filter === undefined) return all;
  const matching = all.filter(
    ({ file, benchmark }) => file.includes(filter) || benchmark.name.includes(filter),
  );
  if (matching.length === 0) {
    throw new SteleError(
      "not-found",
      `No benchmark matches: ${filter}`,
      `choose one of: ${all.map((b) => b.benchmark.name).join(", ") || "(none in bench/)"}`,
    );
  }
  return matching;
}

/** The machine a run happened on: ratios travel between machines, absolute figures do not. */
export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  release: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
}

/** Describes this machine for latest.json. */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: platform(),
    release: release(),
    arch: arch(),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
  };
}

function isBenchmark(value: unknown): value is Benchmark {
  const candidate = value as Partial<Benchmark> | undefined;
  return typeof candidate?.name === "string" && typeof candidate.run === "function";
}

async function main(): Promise<number> {
  const benchDir = import.meta.dirname;
  const filter = process.argv[2];
  const startedAt = new Date();
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const benchmarks = await discoverBenchmarks(benchDir, filter === undefined ? {} : { filter });
  const rows: BenchRow[] = [];
  const failures: { benchmark: string; error: string }[] = [];
  for (const { file, benchmark } of benchmarks) {
    log(`bench: ${benchmark.name} (${file})`);
    const start = performance.now();
    try {
      rows.push(...toRows(benchmark.name, await benchmark.run({ signal: controller.signal, log })));
      log(`bench: ${benchmark.name} took ${((performance.now() - start) / 1000).toFixed(1)} s`);
    } catch (error) {
      // One broken benchmark must not hide the others' figures; the exit code still says it failed.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push({ benchmark: benchmark.name, error: message });
      log(`bench: ${benchmark.name} failed: ${message}`);
    }
    if (controller.signal.aborted) break;
  }

  process.stdout.write(`${formatTable(rows)}\n`);
  const machine = machineInfo();
  process.stdout.write(`\n${machine.cpus} CPUs (${machine.cpuModel}), Node.js ${machine.node}\n`);

  const resultsDir = join(benchDir, "results");
  mkdirSync(resultsDir, { recursive: true });
  const output = join(resultsDir, "latest.json");
  const report = {
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(Date.now() - startedAt.getTime()),
    filter: filter ?? null,
    machine,
    results: rows,
    failures,
  };
  writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
  log(`bench: wrote ${join(basename(benchDir), "results", "latest.json")}`);
  return failures.length > 0 || controller.signal.aborted ? 1 : 0;
}

if (import.meta.main) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof SteleError) {
        process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
      } else {
        process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      }
      process.exitCode = 1;
    },
  );
}
