/** machined as a real process: what the container provisioner and PID 1 rely on. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { credentials } from "@grpc/grpc-js";
import { VersionServiceClient } from "../../machinery/api/machine/v1alpha1/version.ts";
import { call, eventually, testConfigs } from "./testing/machined-fixture.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
let dir: string;
let child: ChildProcess | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "machined-main-"));
});

after(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("machined serves Version on its socket, and on SIGTERM exits 0 and removes the socket", async () => {
  const configs = await testConfigs();
  const configFile = join(dir, "worker.yaml");
  writeFileSync(
    configFile,
    configs.yaml((m) => ({ ...m, network: { ...m.network, hostname: "proc-node" } })),
  );
  const socket = join(dir, "node", "run", "machine.sock");
  const apidListen = `127.0.0.1:${await freePort()}`;
  child = spawn(
    process.execPath,
    [MAIN, "--state-dir", join(dir, "node"), "--config", configFile, "--apid-listen", apidListen],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await eventually(() => (existsSync(socket) ? true : undefined), 10_000);
  const client = new VersionServiceClient(`unix://${socket}`, credentials.createInsecure());
  try {
    const reply = await eventually(async () => {
      const version = await call(client.version.bind(client), {});
      return version.messages[0]?.metadata?.hostname === "proc-node" ? version : undefined;
    }, 10_000);
    assert.equal(reply.messages[0]?.platform?.mode, "PLATFORM_MODE_CONTAINER");
  } finally {
    client.close();
  }
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, stderr);
  assert.equal(existsSync(socket), false);
  assert.equal(existsSync(join(dir, "node", "state", "config.yaml")), true);
});

test("machined refuses to start without --state-dir, saying what to pass", async () => {
  const proc = spawn(process.execPath, [MAIN], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(proc, "exit")) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /missing --state-dir/);
});

/** A TCP port free on loopback right now, so the apid this machined starts does not collide. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
