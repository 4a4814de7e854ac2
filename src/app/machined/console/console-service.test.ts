import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, test } from "node:test";
import { Supervisor } from "../system/supervisor.ts";
import { CONSOLE_SERVICE_ID, consoleService } from "./console-service.ts";
import type { TtyCalls } from "./tty-runner.ts";

const dir = mkdtempSync(join(tmpdir(), "console-service-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.close();
});

/**
 * Calls that stand in for the machine: the "terminal" is a file in the test's directory, showing it
 * is recorded, and the program is a real child process, so the fd plumbing is the real one.
 */
function fakeCalls(screen: string) {
  const shown: { vt: number; kernelVt: number }[] = [];
  const opened: string[] = [];
  const calls: TtyCalls = {
    open: (path) => {
      opened.push(path);
      return openSync(screen, "a+");
    },
    close: (fd) => closeSync(fd),
    show: (_fd, options) => void shown.push(options),
    spawn: (command, args, options) => spawn(command, [...args], options),
  };
  return { calls, shown, opened };
}

/** A "stelectl" that prints what it was given on its terminal, then quits as `q` would. */
const PRINTING_STELECTL = [
  process.execPath,
  "-e",
  "process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), term: process.env.TERM, path: process.env.PATH ?? null }) + '\\n')",
];

test("the dashboard runs on tty2, shown on screen with the kernel's messages kept on tty1, TERM=linux, read-only socket", async () => {
  const screen = join(dir, "tty2-a");
  const fake = fakeCalls(screen);
  const service = consoleService({
    readerSocket: "/system/run/reader.sock",
    cmdline: "console=tty0 console=ttyS0",
    stelectl: PRINTING_STELECTL,
    exists: () => true,
    calls: fake.calls,
  });
  assert.equal(service.id, CONSOLE_SERVICE_ID);
  assert.equal(service.restart, "always");
  assert.equal(await service.skip?.(new AbortController().signal), undefined);
  const supervisor = new Supervisor();
  supervisors.push(supervisor);
  supervisor.load([service]);
  await supervisor.startAll();
  await waitFor(() => shown(screen).split("\n").length > 2, "two runs: quitting restarts it");
  const first = JSON.parse(readFileSync(screen, "utf8").split("\n")[0] ?? "") as {
    argv: string[];
    term: string;
    path: string | null;
  };
  assert.deepEqual(first.argv, ["dashboard", "--local-socket", "/system/run/reader.sock"]);
  assert.equal(first.term, "linux");
  assert.equal(first.path, null, "none of machined's environment leaks into the console");
  assert.equal(fake.opened[0], "/dev/tty2");
  assert.deepEqual(fake.shown[0], { vt: 2, kernelVt: 1 });
});

test("a machine without virtual terminals, or a kernel command line saying so, skips the dashboard", async () => {
  const signal = new AbortController().signal;
  const base = { readerSocket: "/r.sock", stelectl: PRINTING_STELECTL };
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

test("a display that cannot be switched is logged, and the dashboard still runs", async () => {
  const screen = join(dir, "tty2-b");
  const fake = fakeCalls(screen);
  fake.calls.show = () => {
    throw new Error("ioctl(3, VT_ACTIVATE, 2): ENOTTY");
  };
  const lines: string[] = [];
  const supervisor = new Supervisor({ logs: () => ({ write: (line) => lines.push(line) }) });
  supervisors.push(supervisor);
  supervisor.load([
    consoleService({
      readerSocket: "/r.sock",
      cmdline: "",
      stelectl: PRINTING_STELECTL,
      exists: () => true,
      calls: fake.calls,
    }),
  ]);
  await supervisor.startAll();
  await waitFor(() => shown(screen).length > 0, "the dashboard ran");
  assert.ok(
    lines.some((line) => /cannot switch the display to \/dev\/tty2: .*ENOTTY/.test(line)),
    lines.join("\n"),
  );
});

/** What the fake terminal shows so far ("" before the first run opened it). */
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
