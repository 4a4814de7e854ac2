/**
 * Throughput of the log store for 100-byte lines: writing through a sink to ring and file, and
 * delivering to a follower. Shaped as a `bench/*.bench.ts` (default export `{ name, run }`), each
 * figure next to a floor measured in the same run; runs alone too: `node <this file>`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { LogManager } from "../src/app/machined/logging/log-manager.ts";
import { LogRing } from "../src/app/machined/logging/log-ring.ts";

const LINES = 200_000;
const BURST = 1000;
const LINE = `${"x".repeat(99)}\n`; // 100 bytes with its newline
const T0 = new Date("2025-01-01T00:00:00Z");

interface Figure {
  figure: string;
  unit: string;
  value: number;
  floor: number;
}

const rate = (lines: number, startNs: bigint) =>
  Math.round(lines / (Number(process.hrtime.bigint() - startNs) / 1e9));

/** Lines/s through a sink into ring and file, until the file is closed (written and fsynced). */
async function sinkToRingAndFile(dir: string): Promise<number> {
  // A pending limit large enough for the whole run: this measures throughput, not the drop policy
  // (with the default 4 MiB, a sustained flood of ~100 MB/s on a loaded machine drops and says so).
  const logs = new LogManager({
    dir,
    file: { maxBytes: 64 * 1024 * 1024, maxPendingBytes: 64 * 1024 * 1024 },
  });
  const sink = logs.sink("bench");
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i += BURST) {
    for (let j = 0; j < BURST; j++) sink.write("stdout", LINE);
    await nextTurn(); // a pipe delivers chunks between event-loop turns, not all at once
  }
  await logs.close();
  const value = rate(LINES, start);
  const written = readFileSync(join(dir, "bench.log"), "utf8").split("\n").length - 1;
  if (written !== LINES) throw new Error(`Benchmark invalid: ${written} of ${LINES} lines reached the file`);
  return value;
}

/** Floor: the same JSON lines formatted in a tight loop (one timestamp) and written with one syscall. */
function rawFileFloor(dir: string): number {
  const start = process.hrtime.bigint();
  const time = T0.toISOString();
  let text = "";
  for (let i = 1; i <= LINES; i++) {
    text += `{"t":"${time}","s":"stdout","seq":${i},"msg":${JSON.stringify(LINE.slice(0, -1))}}\n`;
  }
  writeFileSync(join(dir, "floor.log"), text);
  return rate(LINES, start);
}

/** Lines/s a follower receives while a writer writes in bursts. */
async function followWhileWriting(): Promise<number> {
  const ring = new LogRing({ maxBytes: 64 * 1024 * 1024 });
  let seen = 0;
  const reading = (async () => {
    for await (const entry of ring.follow({ tailLines: 0 })) {
      if (entry.lost) throw new Error("Benchmark invalid: the follower lost lines");
      seen++;
    }
  })();
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i += BURST) {
    for (let j = 0; j < BURST; j++) ring.write("stdout", LINE.slice(0, -1));
    await nextTurn();
  }
  ring.close();
  await reading;
  if (seen !== LINES) throw new Error(`Benchmark invalid: follower saw ${seen} of ${LINES}`);
  return rate(LINES, start);
}

/** Floor: iterating the same number of entries through a plain async generator over an array. */
async function asyncIterationFloor(): Promise<number> {
  const entries = Array.from({ length: LINES }, (_, i) => ({ seq: i + 1, line: LINE }));
  async function* plain() {
    for (const entry of entries) yield entry;
  }
  let seen = 0;
  const start = process.hrtime.bigint();
  for await (const _ of plain()) seen++;
  return rate(seen, start);
}

const benchmark = {
  name: "log-store",
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "stele-logbench-"));
    try {
      for (let i = 0; i < 2; i++) {
        await sinkToRingAndFile(dir); // warm-up: the JIT, and the page cache of the directory
        rmSync(join(dir, "bench.log"));
        rawFileFloor(dir);
        await followWhileWriting();
      }
      return [
        {
          figure: "sink → ring + file, 100-byte lines",
          unit: "lines/s",
          value: await sinkToRingAndFile(dir),
          floor: rawFileFloor(dir),
        },
        {
          figure: "follow while writing, 100-byte lines",
          unit: "lines/s",
          value: await followWhileWriting(),
          floor: await asyncIterationFloor(),
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;

if (import.meta.main) {
  for (const f of await benchmark.run()) {
    console.log(
      `${f.figure}: ${f.value} ${f.unit} (floor ${f.floor}, ratio ${(f.value / f.floor).toFixed(2)})`,
    );
  }
}
