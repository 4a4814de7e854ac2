/**
 * The benchmark harness: what a benchmark file exports, how it measures latency and throughput, and how
 * results become one table. A figure is only ever shown next to a floor measured in the same run on the
 * same machine (the cheapest way to do the same work), because an absolute number from a shared CI
 * runner says nothing and a ratio to its floor does.
 */
import { SteleError } from "../src/machinery/errors.ts";

/** One figure of a benchmark: the value of what we built and the floor it is compared with, same unit. */
export interface BenchResult {
  /** What is measured, for example `unary latency p50, 1 client`. */
  figure: string;
  /** The unit of value and floor, for example `ms` or `req/s`. */
  unit: string;
  value: number;
  floor: number;
}

/** What the runner gives a benchmark. */
export interface BenchContext {
  /** Aborted when the run is interrupted (Ctrl-C): stop and release what you hold. */
  signal: AbortSignal;
  /** Progress for the person waiting; goes to stderr so that stdout stays the table. */
  log(line: string): void;
}

/** What a `bench/*.bench.ts` file exports as `default`. */
export interface Benchmark {
  /** Short and unique, used by the runner's filter, for example `grpc-echo`. */
  name: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** A result with the benchmark it came from and its ratio, as the table and latest.json show it. */
export interface BenchRow extends BenchResult {
  benchmark: string;
  /** value / floor: above 1 the value is larger than its floor (slower for a latency, faster for a rate). */
  ratio: number;
}

/** Latency samples of a function and their summary, in milliseconds. */
export interface Measurement {
  samples: number[];
  p50: number;
  p99: number;
  mean: number;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Timed calls. */
  iterations: number;
  /** Untimed calls first, so that JIT, connections and caches are warm. Default 0. */
  warmup?: number;
}

/**
 * Calls `fn` `warmup` times untimed, then `iterations` times one after the other, timing each call with
 * the monotonic high-resolution clock (process.hrtime.bigint, immune to wall-clock jumps).
 */
export async function measure(
  fn: () => unknown | Promise<unknown>,
  options: MeasureOptions,
): Promise<Measurement> {
  const { iterations, warmup = 0 } = options;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new SteleError(
      "invalid-argument",
      `Cannot measure: iterations must be a positive integer, got ${iterations}`,
      "pass at least 1 iteration",
    );
  }
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(samples);
}

/** The p50, p99 and mean of latency samples (any unit), keeping the samples. */
export function summarize(samples: readonly number[]): Measurement {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, s) => sum + s, 0) / samples.length;
  return { samples: [...samples], p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

/**
 * The p-th percentile of ascending samples by the nearest-rank method: the smallest sample that at least p%
 * of the samples do not exceed. Always one of the samples, never an interpolation, so a p99 is a latency
 * some call really had.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    throw new SteleError("invalid-argument", "Cannot take a percentile: no samples", "measure at least once");
  }
  if (!(p >= 0 && p <= 100)) {
    throw new SteleError(
      "invalid-argument",
      `Cannot take a percentile: p must be between 0 and 100, got ${p}`,
      "pass 50 for the median, 99 for the tail",
    );
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Operations completed in a timed window and the rate they make. */
export interface Throughput {
  operations: number;
  elapsedMs: number;
  perSecond: number;
}

/** Options of {@link throughput}. */
export interface ThroughputOptions {
  /** Workers calling at the same time; each calls `fn` again as soon as its previous call finishes. */
  concurrency: number;
  /** How long workers start new calls. */
  durationMs: number;
  /** An untimed run of the same shape first. Default 0. */
  warmupMs?: number;
}

/**
 * Runs `concurrency` closed-loop workers for `durationMs` and counts completed calls. `fn` gets the worker's
 * index, so that each worker can use a client (a connection) of its own. The window ends when the last call
 * started in it finishes, so the rate counts only whole calls.
 */
export async function throughput(
  fn: (worker: number) => Promise<unknown>,
  options: ThroughputOptions,
): Promise<Throughput> {
  const { concurrency, durationMs, warmupMs = 0 } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1 || !(durationMs > 0)) {
    throw new SteleError(
      "invalid-argument",
      `Cannot measure throughput: need concurrency ≥ 1 and durationMs > 0, got ${concurrency} and ${durationMs}`,
      "pass for example { concurrency: 8, durationMs: 2000 }",
    );
  }
  if (warmupMs > 0) await runWorkers(fn, concurrency, warmupMs);
  const start = process.hrtime.bigint();
  const operations = await runWorkers(fn, concurrency, durationMs);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { operations, elapsedMs, perSecond: operations / (elapsedMs / 1000) };
}

async function runWorkers(
  fn: (worker: number) => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  const deadline = performance.now() + durationMs;
  let operations = 0;
  const worker = async (index: number) => {
    while (performance.now() < deadline) {
      await fn(index);
      operations++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  return operations;
}

/** The rows of one benchmark's results, with their ratios. */
export function toRows(benchmark: string, results: readonly BenchResult[]): BenchRow[] {
  return results.map((r) => ({ benchmark, ...r, ratio: r.value / r.floor }));
}

/**
 * The results as one Markdown table, `benchmark | figure | value | floor | ratio`, columns padded so it
 * reads in a terminal and pastes into a pull request as is. Numbers carry their unit.
 */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ["benchmark", "figure", "value", "floor", "ratio"];
  const body = rows.map((r) => [
    r.benchmark,
    r.figure,
    `${formatNumber(r.value)} ${r.unit}`,
    `${formatNumber(r.floor)} ${r.unit}`,
    `${formatNumber(r.ratio)}×`,
  ]);
  const escaped = [header, ...body].map((cells) => cells.map((c) => c.replaceAll("|", "\\|")));
  const widths = header.map((_, i) => Math.max(3, ...escaped.map((cells) => cells[i]!.length)));
  // Text columns left, numbers right.
  const right = [false, false, true, true, true];
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  const [head, ...rest] = escaped;
  return [line(head!), rule, ...rest.map(line)].join("\n");
}

/**
 * A number as the table shows it: three significant digits below 100, whole from there (`0.123`, `1.23`,
 * `12.3`, `123`, `12346`), never an exponent. Runs vary by more than a percent, so more decimals would be
 * noise; and 12346 req/s rounded to 12300 would pass for a measurement.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "n/a" : value > 0 ? "∞" : "-∞";
  if (Math.abs(value) >= 99.5) return Math.round(value).toString();
  // Round first, so that 9.999 becomes 10.0 (three digits), not 10.00.
  const rounded = Number(value.toPrecision(3));
  const magnitude = Math.abs(rounded);
  if (magnitude === 0) return "0";
  return rounded.toFixed(Math.max(0, 2 - Math.floor(Math.log10(magnitude))));
}

/** Options of `alternateRounds`. */
export interface AlternateRoundsOptions {
  rounds: number;
  /** Checked after every round: an interrupted run stops with a clear error. */
  signal: AbortSignal;
  /** The benchmark's name, for that error. */
  name: string;
}

/**
 * Runs a floor and a value in alternating rounds (ABBA: the floor first in even rounds, the value
 * in odd ones), so that warm-up, CPU frequency and noisy neighbours drift into both equally instead
 * of into whichever runs second. Returns every round's result of each.
 */
export async function alternateRounds<T>(
  floorRound: () => Promise<T>,
  valueRound: () => Promise<T>,
  options: AlternateRoundsOptions,
): Promise<{ floors: T[]; values: T[] }> {
  const floors: T[] = [];
  const values: T[] = [];
  for (let round = 0; round < options.rounds; round++) {
    if (round % 2 === 0) {
      floors.push(await floorRound());
      values.push(await valueRound());
    } else {
      values.push(await valueRound());
      floors.push(await floorRound());
    }
    if (options.signal.aborted) {
      throw new SteleError("unavailable", `Benchmark interrupted: ${options.name}`);
    }
  }
  return { floors, values };
}
