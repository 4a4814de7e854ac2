import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import { ProcessRunner } from "./process-runner.ts";
import type { LogLineInfo, LogSink } from "./runner.ts";
import type { Service } from "./service.ts";
import type { ServiceStatus } from "./service-status.ts";
import { spawnedPids } from "./spawned-pids.ts";
import { Supervisor } from "./supervisor.ts";

// Children are `node -e` scripts run by the very Node that runs the tests.
const NODE = process.execPath;
const SLEEPER = `console.log("ready"); setInterval(() => {}, 1000);`;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A log sink that keeps every line per stream. */
function memorySink() {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const cuts: Array<LogLineInfo | undefined> = [];
  const sink: LogSink = {
    write(line, stream, info) {
      lines[stream].push(line);
      cuts.push(info);
    },
  };
  return { sink, lines, cuts };
}

function nodeService(id: string, script: string, extra: Partial<Service> = {}): Service {
  return { id, runner: new ProcessRunner(NODE, { args: ["-e", script] }), restart: "always", ...extra };
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Whether `pid` is dead: gone, or a zombie that only waits for the init it was handed to reap it. */
function isDead(pid: number): boolean {
  if (isGone(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Waits briefly for a process of ours to disappear: Node reaps it, so `kill(pid, 0)` must end with ESRCH. */
async function assertGone(pid: number, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!isGone(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(isGone(pid), `${what} (pid ${pid}) is gone: process.kill(pid, 0) throws ESRCH`);
}

const until = (supervisor: Supervisor, id: string, condition: (status: ServiceStatus) => boolean) =>
  supervisor.waitFor(id, condition, AbortSignal.timeout(5_000));

const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

test("stdout and stderr are captured line by line, each in order, the last line even without a newline", async () => {
  const { sink, lines } = memorySink();
  const supervisor = new Supervisor({ logs: (id) => (id === "chatty" ? sink : { write: () => {} }) });
  const script = `
    for (let i = 1; i <= 500; i++) { process.stdout.write("out " + i + "\\n"); process.stderr.write("err " + i + "\\n"); }
    process.stdout.write("héllo wörld\\r\\n");
    process.stdout.write("no newline");`;
  supervisor.load([nodeService("chatty", script, { restart: "never" })]);
  await supervisor.start("chatty");
  await until(supervisor, "chatty", (s) => s.state === "finished");
  const expectedOut = Array.from({ length: 500 }, (_, i) => `out ${i + 1}`);
  assert.deepEqual(lines.stdout, [...expectedOut, "héllo wörld", "no newline"]);
  assert.deepEqual(
    lines.stderr,
    Array.from({ length: 500 }, (_, i) => `err ${i + 1}`),
  );
  assert.equal(supervisor.list()[0]!.message, "Process exited with code 0");
  await supervisor.close();
});

test("a child killed with kill -9 is restarted after its backoff, with events saying so", async () => {
  const timersBefore = activeTimers();
  const supervisor = new Supervisor();
  supervisor.load([nodeService("sleeper", SLEEPER, { backoff: { initialMs: 100 } })]);
  await supervisor.start("sleeper");
  await until(supervisor, "sleeper", (s) => s.state === "running");
  const firstPid = supervisor.list()[0]!.pid!;
  assert.ok(spawnedPids().has(firstPid), "the running child is listed for the reaper");

  process.kill(firstPid, "SIGKILL");
  await until(supervisor, "sleeper", (s) => s.state === "running" && s.pid !== firstPid);
  const { events, pid: secondPid } = supervisor.list()[0]!;
  const crash = events.find((e) => e.state === "failed")!;
  assert.deepEqual(crash.exit, { code: null, signal: "SIGKILL" });
  assert.equal(crash.nextDelayMs, 100);
  assert.equal(crash.restartCount, 1);
  assert.equal(crash.message, "Process killed by SIGKILL: restarting in 100ms");
  const restartedAt = events.at(-1)!;
  // Timers may fire a few ms early by the wall clock (libuv caches its loop time).
  assert.ok(restartedAt.time - crash.time >= 90, "the restart waited for the backoff");
  assert.equal(restartedAt.restartCount, 1);
  assert.ok(!spawnedPids().has(firstPid), "a reaped child is no longer listed");

  await supervisor.close();
  await assertGone(firstPid, "the killed child");
  await assertGone(secondPid!, "the restarted child");
  assert.ok(!spawnedPids().has(secondPid!));
  assert.equal(activeTimers(), timersBefore, "no timer is left behind after close()");
});

test("a child that ignores SIGTERM is killed with SIGKILL once the stop timeout passes", async () => {
  const { sink, lines } = memorySink();
  const supervisor = new Supervisor({ logs: () => sink });
  const script = `process.on("SIGTERM", () => console.log("ignoring SIGTERM")); ${SLEEPER}`;
  supervisor.load([nodeService("stubborn", script, { stopTimeoutMs: 300 })]);
  await supervisor.start("stubborn");
  await until(supervisor, "stubborn", (s) => s.state === "running");
  const pid = supervisor.list()[0]!.pid!;
  // Stop only once the handler is installed, or SIGTERM would simply kill it.
  while (!lines.stdout.includes("ready")) await new Promise((resolve) => setTimeout(resolve, 5));

  const started = performance.now();
  await supervisor.stop("stubborn");
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 290 && elapsed < 3_000, `stopped after ${elapsed.toFixed(0)} ms, expected about 300`);
  assert.ok(lines.stdout.includes("ignoring SIGTERM"), "SIGTERM came first");
  const stopped = supervisor.list()[0]!.events.at(-1)!;
  assert.equal(stopped.state, "stopped");
  assert.deepEqual(stopped.exit, { code: null, signal: "SIGKILL" });
  assert.equal(stopped.message, "Stopped: process killed by SIGKILL");
  await assertGone(pid, "the stubborn child");
  await supervisor.close();
});

test("stopping a service leaves no process behind, not even one it forked", async () => {
  const { sink, lines } = memorySink();
  const supervisor = new Supervisor({ logs: () => sink });
  const script = `
    const { spawn } = require("node:child_process");
    const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    console.log("grandchild " + grandchild.pid);
    setInterval(() => {}, 1000);`;
  supervisor.load([nodeService("forker", script, { stopTimeoutMs: 2_000 })]);
  await supervisor.start("forker");
  await until(supervisor, "forker", (s) => s.state === "running");
  const pid = supervisor.list()[0]!.pid!;
  while (!lines.stdout.some((line) => line.startsWith("grandchild "))) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const grandchild = Number(lines.stdout.find((line) => line.startsWith("grandchild "))!.split(" ")[1]);
  assert.ok(!isGone(grandchild), "the grandchild runs before the stop");

  await supervisor.stop("forker");
  await assertGone(pid, "the service's process");
  // The orphan is reaped by whatever init the tests run under (as machined will on a node), and
  // some inits never do: dead is what the supervisor promises, a zombie is dead.
  // The group's SIGKILL is delivered asynchronously: give the kernel a moment before judging.
  const deadline = Date.now() + 3_000;
  while (!isDead(grandchild) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(isDead(grandchild), `the process it forked (pid ${grandchild}) is dead`);
  await supervisor.close();
});

test("the exit code is reported, and env and cwd are the ones given", async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "stele-runner-")));
  dirs.push(dir);
  const { sink, lines } = memorySink();
  const runner = new ProcessRunner(NODE, {
    // Node itself passes NODE_V8_COVERAGE on to children when the tests run under c8.
    args: [
      "-e",
      `const keys = Object.keys(process.env).filter((key) => key !== "NODE_V8_COVERAGE");
       console.log(process.env.GREETING + " " + keys.join(",") + " " + process.cwd()); process.exit(3)`,
    ],
    env: { GREETING: "hello" },
    cwd: dir,
  });
  const run = await runner.start({ serviceId: "t", log: sink, signal: new AbortController().signal });
  assert.deepEqual(await run.exited, { code: 3, signal: null });
  assert.deepEqual(lines.stdout, [`hello GREETING ${dir}`], "the environment is exactly the one given");
  assert.deepEqual(
    await run.stop({ timeoutMs: 100 }),
    { code: 3, signal: null },
    "stopping an ended run is harmless",
  );
});

test("a command that cannot be started is refused with the reason", async () => {
  const runner = new ProcessRunner("/nonexistent/stele-daemon");
  await assert.rejects(
    runner.start({ serviceId: "t", log: memorySink().sink, signal: new AbortController().signal }),
    (error: unknown) =>
      isSteleError(error) &&
      error.code === "unavailable" &&
      error.message === "Cannot start /nonexistent/stele-daemon: ENOENT" &&
      error.hint !== undefined,
  );
});

test("a line longer than the cap is cut, and the sink is told how many bytes were dropped", async () => {
  const { sink, lines, cuts } = memorySink();
  const runner = new ProcessRunner(NODE, {
    args: ["-e", `process.stdout.write("x".repeat(5000) + "\\nshort\\n")`],
    maxLineBytes: 1024,
  });
  const run = await runner.start({ serviceId: "t", log: sink, signal: new AbortController().signal });
  await run.exited;
  assert.deepEqual(lines.stdout, ["x".repeat(1024), "short"]);
  assert.deepEqual(cuts, [{ cutBytes: 5000 - 1024 }, undefined]);
});
