import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { listProcesses, parseProcStat } from "./proc-stat.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

for (const [text, expected] of [
  ["1 (systemd) S 0 1 1 0 -1 4194560", { pid: 1, comm: "systemd", state: "S", ppid: 0 }],
  ["42 (my (odd) cmd) Z 1 42 42 0", { pid: 42, comm: "my (odd) cmd", state: "Z", ppid: 1 }],
  ["7 (a) b) R 3 7 7", { pid: 7, comm: "a) b", state: "R", ppid: 3 }],
  ["", undefined],
  ["garbage", undefined],
  ["x (y) Z 1", undefined],
  ["5 (y) Z", undefined],
] as const) {
  test(`parseProcStat(${JSON.stringify(text)})`, () => {
    assert.deepEqual(parseProcStat(text), expected);
  });
}

test("parseProcStat reads state and ppid whatever the command name holds", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4_194_304 }),
      fc.string({ maxLength: 16 }),
      fc.constantFrom("R", "S", "D", "Z", "T", "I"),
      fc.integer({ min: 0, max: 4_194_304 }),
      (pid, comm, state, ppid) => {
        assert.deepEqual(parseProcStat(`${pid} (${comm}) ${state} ${ppid} 1 1 0 -1\n`), {
          pid,
          comm,
          state,
          ppid,
        });
      },
    ),
    { numRuns: 500 },
  );
});

test("listProcesses reads every numeric entry of a proc dir and skips the rest and the vanished", () => {
  const proc = mkdtempSync(join(tmpdir(), "proc-stat-"));
  dirs.push(proc);
  for (const [pid, stat] of [
    ["1", "1 (init) S 0 1 1"],
    ["20", "20 (zombie one) Z 1 20 20"],
  ] as const) {
    mkdirSync(join(proc, pid));
    writeFileSync(join(proc, pid, "stat"), stat);
  }
  mkdirSync(join(proc, "33")); // ended between readdir and read: no stat file
  mkdirSync(join(proc, "self"));
  writeFileSync(join(proc, "uptime"), "1 2");
  const found = listProcesses(proc).sort((a, b) => a.pid - b.pid);
  assert.deepEqual(found, [
    { pid: 1, comm: "init", state: "S", ppid: 0 },
    { pid: 20, comm: "zombie one", state: "Z", ppid: 1 },
  ]);
});

test("listProcesses of the real /proc includes this process with its parent", () => {
  const me = listProcesses().find((p) => p.pid === process.pid);
  assert.equal(me?.ppid, process.ppid);
});
