import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseMeminfo, readProcesses } from "./proc-info.ts";

let proc: string;

/** A stat line as proc(5) writes it: pid (comm) state ppid … utime stime … threads … vsize rss. */
function stat(pid: number, comm: string, ppid: number): string {
  const fields = Array.from({ length: 50 }, () => "0");
  fields[0] = "S";
  fields[1] = String(ppid);
  fields[11] = "150"; // utime (field 14)
  fields[12] = "50"; // stime (field 15)
  fields[17] = "4"; // threads (field 20)
  fields[20] = "1048576"; // vsize (field 23)
  fields[21] = "10"; // rss pages (field 24)
  return `${pid} (${comm}) ${fields.join(" ")}\n`;
}

before(() => {
  proc = mkdtempSync(join(tmpdir(), "proc-"));
  const processes: Array<[number, string, number]> = [
    [1, "init", 0],
    [10, "machined", 1],
    [11, "a (weird) name", 10],
    [12, "grandchild", 11],
    [20, "stranger", 1],
  ];
  for (const [pid, comm, ppid] of processes) {
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), "stat"), stat(pid, comm, ppid));
    writeFileSync(join(proc, String(pid), "cmdline"), `${comm}\0--flag\0`);
  }
  mkdirSync(join(proc, "self"));
});

after(() => rmSync(proc, { recursive: true, force: true }));

describe("readProcesses", () => {
  test("on container, only the root process and its descendants", () => {
    const processes = readProcesses({ proc, rootPid: 10 });
    assert.deepEqual(
      processes.map((p) => [p.pid, p.ppid, p.command]),
      [
        [10, 1, "machined"],
        [11, 10, "a (weird) name"],
        [12, 11, "grandchild"],
      ],
    );
  });

  test("reads state, threads, cpu time, memory and arguments", () => {
    const [p] = readProcesses({ proc, rootPid: 12 });
    assert.equal(p?.state, "S");
    assert.equal(p?.threads, 4);
    assert.equal(p?.cpuTime, 2);
    assert.equal(p?.virtualMemory, 1048576n);
    assert.equal(p?.residentMemory, 40960n);
    assert.equal(p?.args, "grandchild --flag");
  });

  test("without a root, every process", () => {
    assert.equal(readProcesses({ proc }).length, 5);
  });
});

test("parseMeminfo converts kB to bytes and keeps huge page counts", () => {
  const info = parseMeminfo(
    "MemTotal:       16384 kB\nMemFree:  1024 kB\nHugePages_Total:       2\nCommitted_AS:   8 kB\n",
  );
  assert.equal(info.memTotal, 16384n * 1024n);
  assert.equal(info.memFree, 1024n * 1024n);
  assert.equal(info.hugePagesTotal, 2n);
  assert.equal(info.committedAs, 8192n);
  assert.equal(info.swapTotal, 0n);
});
