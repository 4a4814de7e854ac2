import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, test } from "node:test";
import { Supervisor } from "../system/supervisor.ts";
import { PRESS_FOR_DASHBOARD } from "./console-screen.ts";
import { CONSOLE_SERVICE_ID, consoleService } from "./console-service.ts";
import { ConsoleStatus } from "./console-status.ts";
import type { ConsoleTerminal, TtyCalls } from "./tty-calls.ts";

const dir = mkdtempSync(join(tmpdir(), "console-service-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.close();
});

/** machined's side of the terminal: what it wrote, keys typed on demand. */
class FakeTerminal implements ConsoleTerminal {
  readonly writes: string[] = [];
  closed = false;
  readonly #keys: (() => void)[] = [];
  readonly #errors: ((error: Error) => void)[] = [];
  write(text: string): void {
    assert.equal(this.closed, false, "no write to a closed terminal");
    this.writes.push(text);
  }
  onKey(listener: () => void): void {
    this.#keys.push(listener);
  }
  onError(listener: (error: Error) => void): void {
    this.#errors.push(listener);
  }
  close(): void {
    this.closed = true;
  }
  press(): void {
    if (!this.closed) for (const key of this.#keys) key();
  }
  fail(error: Error): void {
    for (const listener of this.#errors) listener(error);
  }
  /** The last screen drawn, as text. */
  get screen(): string {
    return (this.writes.at(-1) ?? "").replace("\x1b[H\x1b[2J", "").replaceAll("\r\n", "\n");
  }
}

/**
 * Calls that stand in for the machine: machined's screen is a {@link FakeTerminal}; the dashboard's
 * "terminal" is a file in the test's directory, and the program a real child process, so the fd
 * plumbing and the process-group handling are the real ones.
 */
function fakeCalls(screen: string) {
  const shown: { vt: number; kernelVt: number }[] = [];
  const opened: string[] = [];
  const terminals: FakeTerminal[] = [];
  const children: ChildProcess[] = [];
  const calls: TtyCalls = {
    open: (path) => {
      opened.push(path);
      return openSync(screen, "a+");
    },
    close: (fd) => closeSync(fd),
    show: (_fd, options) => void shown.push(options),
    terminal: (fd) => {
      closeSync(fd);
      const terminal = new FakeTerminal();
      terminals.push(terminal);
      return terminal;
    },
    spawn: (command, args, options) => {
      const child = spawn(command, [...args], options);
      children.push(child);
      return child;
    },
  };
  return { calls, shown, opened, terminals, children };
}

/** A "stelectl" that prints what it was given on its terminal, then quits as `q` would. */
const PRINTING_STELECTL = [
  process.execPath,
  "-e",
  "process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), term: process.env.TERM, path: process.env.PATH ?? null }) + '\\n')",
];
const node = (code: string) => [process.execPath, "-e", code];

function startConsole(options: { stelectl: readonly string[]; status?: ConsoleStatus; name: string }) {
  const screen = join(dir, options.name);
  const fake = fakeCalls(screen);
  const lines: string[] = [];
  const supervisor = new Supervisor({ logs: () => ({ write: (line) => lines.push(line) }) });
  supervisors.push(supervisor);
  supervisor.load([
    consoleService({
      status: options.status ?? new ConsoleStatus(),
      readerSocket: "/system/run/reader.sock",
      cmdline: "console=tty0 console=ttyS0",
      stelectl: options.stelectl,
      exists: () => true,
      calls: fake.calls,
    }),
  ]);
  const state = () => supervisor.list().find((s) => s.id === CONSOLE_SERVICE_ID);
  return { ...fake, screen, lines, supervisor, state };
}

test("at start machined draws its own screen on tty2 and runs no dashboard until a key is pressed", async () => {
  const t = startConsole({ stelectl: PRINTING_STELECTL, name: "tty2-idle" });
  await t.supervisor.startAll();
  await waitFor(() => t.terminals[0]?.screen.includes(PRESS_FOR_DASHBOARD) === true, "the screen");
  assert.equal(t.opened[0], "/dev/tty2");
  assert.deepEqual(t.shown[0], { vt: 2, kernelVt: 1 });
  assert.match(t.terminals[0]?.screen ?? "", /^Stele node .*\n\nStage: +booting\n/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(t.children.length, 0, "no child before a key");
  assert.equal(t.state()?.state, "running", "the console counts as up: the node's readiness needs it");
});

test("a key starts the dashboard on the terminal; when it quits the screen is back and waits again", async () => {
  const t = startConsole({ stelectl: PRINTING_STELECTL, name: "tty2-key" });
  await t.supervisor.startAll();
  await waitFor(() => t.terminals.length === 1, "the screen");
  t.terminals[0]?.press();
  assert.equal(t.terminals[0]?.closed, true, "machined stops reading before the dashboard starts");
  await waitFor(() => t.terminals.length === 2, "the screen back after the dashboard quit");
  assert.match(t.terminals[1]?.screen ?? "", new RegExp(`${PRESS_FOR_DASHBOARD}\n$`));
  assert.doesNotMatch(t.terminals[1]?.screen ?? "", /dashboard exited/, "a clean quit leaves no note");
  const run = JSON.parse(shown(t.screen).split("\n")[0] ?? "") as {
    argv: string[];
    term: string;
    path: string | null;
  };
  assert.deepEqual(run.argv, ["dashboard", "--local-socket", "/system/run/reader.sock"]);
  assert.equal(run.term, "linux");
  assert.equal(run.path, null, "none of machined's environment leaks into the console");
  t.terminals[1]?.press();
  await waitFor(() => t.terminals.length === 3, "a second run, and the screen again");
  assert.equal(t.children.length, 2);
  assert.equal(t.state()?.state, "running");
  assert.equal(t.state()?.restartCount, 0, "quitting the dashboard is not a restart of the service");
  assert.ok(
    t.lines.some((line) => /^console: dashboard started: pid \d+$/.test(line)),
    t.lines.join("\n"),
  );
  assert.ok(t.lines.includes("console: dashboard exited with code 0"), t.lines.join("\n"));
});

test("the screen is redrawn when the node's status changes, with the fingerprint in maintenance mode", async () => {
  const status = new ConsoleStatus();
  const t = startConsole({ stelectl: PRINTING_STELECTL, status, name: "tty2-status" });
  await t.supervisor.startAll();
  await waitFor(() => t.terminals.length === 1, "the screen");
  const fingerprint = Array.from({ length: 32 }, () => "AB").join(":");
  status.offerLog("apid", JSON.stringify({ fingerprint, msg: "maintenance mode" }));
  status.watch({
    hostname: () => "node-7",
    store: {
      get: ((type: { type: string }) =>
        type.type.startsWith("MachineStatuses")
          ? { spec: { stage: "maintenance", ready: false, unmetConditions: [] } }
          : type.type.startsWith("NodeAddresses")
            ? { spec: { addresses: ["192.168.1.20/24"] } }
            : undefined) as never,
      subscribe: () => () => {},
    },
  });
  const terminal = t.terminals[0];
  assert.match(terminal?.screen ?? "", /^Stele node node-7\n/);
  assert.match(terminal?.screen ?? "", /Stage: +maintenance/);
  assert.ok(terminal?.screen.includes(`--nodes 192.168.1.20 --cert-fingerprint ${fingerprint} --file`));
  const draws = terminal?.writes.length ?? 0;
  status.offerLog("apid", JSON.stringify({ fingerprint, msg: "again" }));
  assert.equal(terminal?.writes.length, draws, "nothing changed, nothing drawn");
});

test("stopping the service (machined stopping) kills a dashboard that runs, its whole group", async () => {
  const t = startConsole({
    stelectl: node(
      "require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' }); setInterval(() => {}, 1000)",
    ),
    name: "tty2-stop",
  });
  await t.supervisor.startAll();
  await waitFor(() => t.terminals.length === 1, "the screen");
  t.terminals[0]?.press();
  await waitFor(() => t.lines.some((line) => line.startsWith("console: dashboard started")), "the dashboard");
  const pid = t.children[0]?.pid ?? 0;
  await t.supervisor.stopAll();
  assert.equal(t.state()?.state, "stopped");
  assert.throws(() => process.kill(-pid, 0), { code: "ESRCH" }, "no process of the group is left");
  assert.equal(t.terminals.length, 1, "no screen drawn after the stop");
});

test("a dashboard that cannot start, or that crashes, says so on the screen, which waits for the next key", async () => {
  const missing = startConsole({ stelectl: [join(dir, "no-such-stelectl")], name: "tty2-missing" });
  await missing.supervisor.startAll();
  await waitFor(() => missing.terminals.length === 1, "the screen");
  missing.terminals[0]?.press();
  await waitFor(() => missing.terminals.length === 2, "the screen back");
  assert.match(missing.terminals[1]?.screen ?? "", /Cannot start the dashboard: ENOENT\n\nPress Enter/);
  const crashing = startConsole({ stelectl: node("process.exit(3)"), name: "tty2-crash" });
  await crashing.supervisor.startAll();
  await waitFor(() => crashing.terminals.length === 1, "the screen");
  crashing.terminals[0]?.press();
  await waitFor(() => crashing.terminals.length === 2, "the screen back");
  assert.match(
    crashing.terminals[1]?.screen ?? "",
    /The dashboard exited with code 3: see `stelectl logs dashboard`/,
  );
  assert.equal(crashing.state()?.state, "running");
});

test("a terminal that can no longer be read ends the run, and the supervisor starts the console again", async () => {
  const t = startConsole({ stelectl: PRINTING_STELECTL, name: "tty2-eio" });
  await t.supervisor.startAll();
  await waitFor(() => t.terminals.length === 1, "the screen");
  t.terminals[0]?.fail(new Error("read EIO"));
  await waitFor(() => t.terminals.length === 2, "a new run");
  assert.equal(t.terminals[0]?.closed, true);
  assert.ok(t.lines.includes("console: cannot read /dev/tty2: read EIO"), t.lines.join("\n"));
  assert.equal(t.state()?.restartCount, 1);
});

test("a machine without virtual terminals, or a kernel command line saying so, skips the console", async () => {
  const signal = new AbortController().signal;
  const base = { readerSocket: "/r.sock", stelectl: PRINTING_STELECTL, status: new ConsoleStatus() };
  const serialOnly = consoleService({ ...base, cmdline: "console=ttyS0", exists: () => false });
  assert.match(String(await serialOnly.skip?.(signal)), /no virtual terminal \/dev\/tty2/);
  const disabled = consoleService({
    ...base,
    cmdline: "quiet stele.dashboard.disabled=1",
    exists: () => true,
  });
  assert.match(String(await disabled.skip?.(signal)), /disabled by stele\.dashboard\.disabled=1/);
  const reenabled = consoleService({
    ...base,
    cmdline: "stele.dashboard.disabled=1 stele.dashboard.disabled=0",
    exists: () => true,
  });
  assert.equal(await reenabled.skip?.(signal), undefined);
});

test("a display that cannot be switched is logged, and the console still runs", async () => {
  const t = startConsole({ stelectl: PRINTING_STELECTL, name: "tty2-noswitch" });
  t.calls.show = () => {
    throw new Error("ioctl(3, VT_ACTIVATE, 2): ENOTTY");
  };
  await t.supervisor.startAll();
  await waitFor(() => t.terminals.length === 1, "the screen");
  assert.ok(
    t.lines.some((line) => /cannot switch the display to \/dev\/tty2: .*ENOTTY/.test(line)),
    t.lines.join("\n"),
  );
});

/** What the dashboard wrote on its terminal so far ("" before it ran). */
function shown(screen: string): string {
  return existsSync(screen) ? readFileSync(screen, "utf8") : "";
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
