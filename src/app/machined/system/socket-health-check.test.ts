import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import { FakeRunner } from "./fake-runner.ts";
import { DEFAULT_HEALTH_TIMING } from "./health-check.ts";
import { Supervisor } from "./supervisor.ts";
import { tcpHealthCheck } from "./tcp-health-check.ts";
import { unixSocketHealthCheck } from "./unix-socket-health-check.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(target, () => resolve());
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A server on 127.0.0.1:0 the test controls, closed after the test. */
async function tcpServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await listen(server, { port: 0, host: "127.0.0.1" });
  cleanups.push(() => (server.listening ? close(server) : undefined));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return { server, port: address.port };
}

const live = (): AbortSignal => new AbortController().signal;

test("tcpHealthCheck passes while the port accepts connections and fails, saying why, once it does not", async () => {
  const { server, port } = await tcpServer();
  const check = tcpHealthCheck("127.0.0.1", port);
  await check.check(live());
  await close(server);
  await assert.rejects(
    check.check(live()),
    (error: unknown) =>
      isSteleError(error) &&
      error.code === "unavailable" &&
      error.message === `Cannot connect to 127.0.0.1:${port}: ECONNREFUSED`,
  );
});

test("tcpHealthCheck gives up as soon as its signal aborts", async () => {
  const { port } = await tcpServer();
  const controller = new AbortController();
  controller.abort(new Error("no answer within 5 ms"));
  await assert.rejects(
    tcpHealthCheck("127.0.0.1", port).check(controller.signal),
    (error: unknown) => isSteleError(error) && /no answer within 5 ms$/.test(error.message),
  );
});

test("the ready-made checks use the default timing unless told otherwise", () => {
  const check = tcpHealthCheck("::1", 50000, { intervalMs: 5_000, timeoutMs: undefined });
  assert.equal(check.intervalMs, 5_000);
  assert.equal(check.timeoutMs, DEFAULT_HEALTH_TIMING.timeoutMs);
  assert.equal(check.initialDelayMs, DEFAULT_HEALTH_TIMING.initialDelayMs);
});

test("unixSocketHealthCheck passes while the socket accepts connections and fails once it is gone", async () => {
  const dir = mkdtempSync(join(tmpdir(), "stele-health-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "containerd.sock");
  const check = unixSocketHealthCheck(path);
  await assert.rejects(
    check.check(live()),
    (error: unknown) => isSteleError(error) && error.message.endsWith(": ENOENT"),
  );
  const server = createServer((socket) => socket.destroy());
  await listen(server, { path });
  await check.check(live());
  await close(server);
  await assert.rejects(check.check(live()), (error: unknown) => isSteleError(error));
});

test("a dependant starts once its dependency's TCP port answers", async () => {
  // Reserve a free port, then free it: the dependency is "up" only once the test listens on it again.
  const { server, port } = await tcpServer();
  await close(server);
  const supervisor = new Supervisor();
  cleanups.push(() => supervisor.close());
  const dependant = new FakeRunner();
  supervisor.load([
    {
      id: "etcd",
      runner: new FakeRunner(),
      restart: "always",
      health: tcpHealthCheck("127.0.0.1", port, { initialDelayMs: 0, intervalMs: 20, timeoutMs: 500 }),
    },
    { id: "kube-apiserver", runner: dependant, restart: "always", dependsOn: ["etcd"] },
  ]);
  await supervisor.startAll();
  const signal = AbortSignal.timeout(3_000);
  await supervisor.waitFor("etcd", (s) => s.healthy === false, signal);
  const etcd = supervisor.list()[0]!;
  assert.equal(etcd.message, `Health check failed: Cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
  assert.equal(supervisor.list()[1]!.state, "waiting");
  assert.equal(dependant.runs.length, 0);

  const reopened = createServer((socket) => socket.destroy());
  await listen(reopened, { port, host: "127.0.0.1" });
  cleanups.push(() => close(reopened));
  await supervisor.waitFor("kube-apiserver", (s) => s.state === "running", signal);
  assert.equal(supervisor.list()[0]!.healthy, true);
});
