import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { listProcesses, type ProcStat } from "../../../pkg/linux/index.ts";
import { OrphanReaper, orphansToReap } from "./orphan-reaper.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "orphan-reaper-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const TABLE: ProcStat[] = [
  { pid: 1, comm: "node", state: "S", ppid: 0 },
  { pid: 10, comm: "orphan", state: "Z", ppid: 1 },
  { pid: 11, comm: "service", state: "Z", ppid: 1 }, // spawned by child_process: libuv's to reap
  { pid: 12, comm: "running orphan", state: "S", ppid: 1 },
  { pid: 13, comm: "grandchild", state: "Z", ppid: 12 }, // its parent's to reap
  { pid: 14, comm: "another orphan", state: "Z", ppid: 1 },
];

test("orphansToReap picks zombies of PID 1 that child_process did not spawn, and nothing else", () => {
  assert.deepEqual(orphansToReap(TABLE, new Set([11])), [10, 14]);
  assert.deepEqual(orphansToReap(TABLE, new Set([10, 11, 14])), []);
  assert.deepEqual(orphansToReap([], new Set()), []);
});

test("a sweep over a /proc directory waits for exactly the orphans, reporting each", () => {
  const proc = join(dir, "proc");
  for (const p of TABLE) {
    mkdirSync(join(proc, String(p.pid)), { recursive: true });
    writeFileSync(join(proc, String(p.pid), "stat"), `${p.pid} (${p.comm}) ${p.state} ${p.ppid} 0 0 0 -1\n`);
  }
  const waited: number[] = [];
  const reported: number[] = [];
  const reaper = new OrphanReaper({
    processes: () => listProcesses(proc),
    spawnedPids: () => new Set([11]),
    waitpid: (pid) => {
      waited.push(pid);
      return pid === 14 ? undefined : { pid, status: 3 << 8 };
    },
    onReap: (r) => reported.push(r.pid),
  });
  assert.deepEqual(reaper.sweep(), [{ pid: 10, status: 3 << 8 }]);
  assert.deepEqual(waited, [10, 14]);
  assert.deepEqual(reported, [10]);
});

test("a waitpid that throws is reported and does not stop the sweep", () => {
  const errors: unknown[] = [];
  const reaper = new OrphanReaper({
    processes: () => TABLE,
    spawnedPids: () => new Set(),
    waitpid: (pid) => {
      if (pid === 10) throw new Error("ECHILD");
      return { pid, status: 0 };
    },
    onError: (error) => errors.push(error),
  });
  assert.deepEqual(
    reaper.sweep().map((r) => r.pid),
    [11, 14],
  );
  assert.equal(errors.length, 1);
});

test("started, the reaper sweeps periodically until closed", async () => {
  let sweeps = 0;
  const reaper = new OrphanReaper({
    processes: () => {
      sweeps++;
      return [];
    },
    intervalMs: 10,
  });
  reaper.start();
  await sleep(100);
  reaper.close();
  const seen = sweeps;
  assert.ok(seen >= 3, `only ${seen} sweeps in 100 ms`);
  await sleep(50);
  assert.equal(sweeps, seen);
});

test("as PID 1 of a PID namespace: every child_process exit status is reported and no zombie remains", () => {
  const children = 150;
  const program = join(dir, "pid1.ts");
  writeFileSync(
    program,
    `import { spawn } from "node:child_process";
     import { setTimeout as sleep } from "node:timers/promises";
     import { listProcesses } from ${JSON.stringify(new URL("../../../pkg/linux/index.ts", import.meta.url).href)};
     import { OrphanReaper } from ${JSON.stringify(new URL("./orphan-reaper.ts", import.meta.url).href)};
     import { trackChildProcess } from ${JSON.stringify(new URL("./spawned-pids.ts", import.meta.url).href)};
     if (process.pid !== 1) throw new Error("not PID 1");
     let orphansReaped = 0;
     const reaper = new OrphanReaper({ intervalMs: 20, onReap: () => orphansReaped++ });
     reaper.start();
     const mismatches = [];
     let exits = 0;
     const all = Promise.all(Array.from({ length: ${children} }, (_, i) => new Promise((resolve) => {
       // Each child leaves an orphan behind (its background job, re-parented to us) and exits i % 7.
       const child = spawn("sh", ["-c", "(sleep 0.0$((i % 5)); exit 3) & exit " + (i % 7)], { stdio: "ignore" });
       trackChildProcess(child);
       child.on("exit", (code) => {
         exits++;
         if (code !== i % 7) mismatches.push({ i, code });
         resolve();
       });
     })));
     // A stolen exit status is an exit event that never comes: wait a bounded time, then count.
     await Promise.race([all, sleep(15_000)]);
     // Every orphan has ended by now or within its 0.04 s sleep; then the periodic sweep gets it.
     const deadline = Date.now() + 5000;
     let zombies = [];
     do {
       await sleep(100);
       zombies = listProcesses().filter((p) => p.state === "Z");
     } while ((zombies.length > 0 || orphansReaped < ${children}) && Date.now() < deadline);
     reaper.close();
     console.log(JSON.stringify({ missing: ${children} - exits, mismatches, orphansReaped, zombies }));
     process.exit(0);`,
  );
  const result = spawnSync(
    "unshare",
    ["--pid", "--fork", "--mount-proc", "--kill-child", process.execPath, program],
    {
      encoding: "utf8",
      timeout: 60_000,
      // unshare blocks SIGTERM; SIGKILL ends it, and --kill-child ends PID 1 with it.
      killSignal: "SIGKILL",
    },
  );
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.missing, 0, "exit events never reported: their statuses were stolen");
  assert.deepEqual(report.mismatches, [], "exit statuses stolen from child_process");
  assert.deepEqual(report.zombies, []);
  assert.equal(report.orphansReaped, children);
});
