import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { cleanup, render } from "ink-testing-library";
import { createElement as h } from "react";
import { DashboardApp } from "./dashboard-app.ts";
import { FakeDashboardSource } from "./fake-dashboard-source.ts";

const DOWN = "\x1b[B";
const ENTER = "\r";

afterEach(() => cleanup());

/** Retries `check` until it passes or 2 s have gone by, so a slow machine does not fail the test. */
async function eventually(check: () => void): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Lets effects, promises and ink's render run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

async function press(stdin: { write(data: string): void }, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    stdin.write(key);
    await settle();
  }
}

async function open(nodes: readonly string[] = ["a", "b"]) {
  const source = new FakeDashboardSource(nodes);
  const app = render(h(DashboardApp, { source }));
  await settle();
  return { source, app, frame: () => app.lastFrame() ?? "" };
}

test("opens on the summary of the first node", async () => {
  const { frame } = await open();
  await eventually(() => assert.match(frame(), /node a \(1\/2\)/));
  await eventually(() => assert.match(frame(), /host-a/));
  await eventually(() => assert.match(frame(), /v0\.1\.0/));
  await eventually(() => assert.match(frame(), /services: kubelet is starting/));
  await eventually(() => assert.match(frame(), /Uptime\s+1h 0m/));
});

test("2 shows the monitor with a sparkline of CPU", async () => {
  const { app, frame } = await open();
  await press(app.stdin, "2");
  await eventually(() => {
    const cpu = frame()
      .split("\n")
      .find((line) => line.startsWith("CPU"));
    assert.ok(cpu, frame());
    assert.match(cpu, /50\.0%/);
    assert.match(cpu, /[▁▂▃▄▅▆▇█]{3}$/);
  });
  await eventually(() => assert.match(frame(), /Processes\s+42/));
});

test("F2 shows the monitor too", async () => {
  const { app, frame } = await open();
  await press(app.stdin, "\x1bOQ");
  await eventually(() => assert.match(frame(), /^CPU/m));
  await eventually(() => assert.match(frame(), /Disk read/));
});

test("3 lists services; ↓ and Enter open the second one's log, which follows new lines", async () => {
  const { source, app, frame } = await open();
  await press(app.stdin, "3");
  await eventually(() => assert.match(frame(), /apid\s+running\s+ok/));
  await eventually(() => assert.match(frame(), /etcd\s+running\s+ok/));
  await press(app.stdin, DOWN, ENTER);
  await eventually(() => assert.match(frame(), /Log of etcd \(following\)/));
  await eventually(() => assert.match(frame(), /etcd started/));
  source.emitLog("logs:a/etcd", ["member ready", "leader elected"]);
  await settle();
  await eventually(() => assert.match(frame(), /member ready\n.*leader elected/));
});

test("f stops following, so new lines do not move the page", async () => {
  const { source, app, frame } = await open(["a"]);
  await press(app.stdin, "3", ENTER, "f");
  await eventually(() => assert.match(frame(), /Log of apid \(paused at line 1 of 1\)/));
  source.emitLog(
    "logs:a/apid",
    Array.from({ length: 50 }, (_, i) => `line ${i}`),
  );
  await settle();
  await eventually(() => assert.match(frame(), /paused at line 1 of 51/));
  assert.match(frame(), /apid started/);
  await press(app.stdin, "f");
  await eventually(() => assert.match(frame(), /line 49/));
  assert.doesNotMatch(frame(), /apid started/);
});

test("] switches to node B and the header names it", async () => {
  const { app, frame } = await open();
  await press(app.stdin, "]");
  await eventually(() => assert.match(frame(), /node b \(2\/2\)/));
  await eventually(() => assert.match(frame(), /host-b/));
  await press(app.stdin, "[");
  await eventually(() => assert.match(frame(), /node a \(1\/2\)/));
});

test("a failing node shows its error on its own screen while the other works", async () => {
  const source = new FakeDashboardSource(["a", "b"]);
  source.failing.add("b");
  const app = render(h(DashboardApp, { source }));
  await settle();
  await eventually(() => assert.match(app.lastFrame() ?? "", /host-a/));
  await press(app.stdin, "]");
  await eventually(() => assert.match(app.lastFrame() ?? "", /Error: Node b is unreachable/));
});

test("? shows the key help", async () => {
  const { app, frame } = await open();
  await press(app.stdin, "?");
  await eventually(() => assert.match(frame(), /Keys/));
  await eventually(() => assert.match(frame(), /PgUp \/ PgDn/));
});

test("q quits and every stream is closed", async () => {
  const { source, app } = await open();
  await press(app.stdin, "3", ENTER);
  assert.deepEqual(source.closed, []);
  await press(app.stdin, "q");
  await eventually(() => assert.deepEqual([...source.closed].sort(), [...source.opened].sort()));
  assert.deepEqual([...source.opened].sort(), ["logs:a/apid", "stats:a", "stats:b"]);
});

test("rows are cut to the terminal width, never wrapped", async () => {
  const { app } = await open();
  await press(app.stdin, "3");
  for (const line of (app.lastFrame() ?? "").split("\n")) assert.ok([...line].length <= 100, line);
});

test("the footer starts with quit and help, which a narrow terminal cuts last", async () => {
  const { frame } = await open();
  const footer = frame().split("\n").at(-1) ?? "";
  assert.match(footer.slice(0, 40), /q quit {2}\? help/);
});
