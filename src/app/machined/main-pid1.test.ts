/**
 * machined as PID 1 of its own PID, mount, UTS and IPC namespaces, as sandbox-keeper runs it: the
 * hostname of the config is set with sethostname(2) in its UTS namespace (the host's stays), /var is
 * `--var-dir`, and SIGTERM from the host runs the shutdown sequence and ends it with 0.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { credentials } from "@grpc/grpc-js";
import { VersionServiceClient } from "../../machinery/api/machine/v1alpha1/version.ts";
import { listProcesses } from "../../pkg/linux/index.ts";
import { call, eventually, testConfigs } from "./testing/machined-fixture.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
let dir: string;
let launcher: ChildProcess | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "machined-pid1-"));
});

after(() => {
  // unshare blocks SIGTERM; SIGKILL ends it, and --kill-child ends machined with it.
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) launcher.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("as PID 1 machined sets its UTS hostname, keeps /var in --var-dir, and exits 0 on SIGTERM", async () => {
  const configs = await testConfigs();
  const configFile = join(dir, "worker.yaml");
  writeFileSync(
    configFile,
    configs.yaml((m) => ({ ...m, network: { ...m.network, hostname: "pid1-node" } })),
  );
  const stateDir = join(dir, "node");
  const varDir = join(dir, "ephemeral");
  const socket = join(stateDir, "run", "machine.sock");
  launcher = spawn(
    "unshare",
    [
      ...["--pid", "--fork", "--mount-proc", "--uts", "--ipc", "--kill-child"],
      process.execPath,
      MAIN,
      ...["--state-dir", stateDir, "--var-dir", varDir, "--config", configFile],
      ...["--apid-listen", `127.0.0.1:${await freePort()}`],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  launcher.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(launcher, "exit");
  const pid1 = await eventually(() => listProcesses().find((p) => p.ppid === launcher?.pid)?.pid, 10_000);
  await eventually(() => (existsSync(socket) ? true : undefined), 15_000);
  const client = new VersionServiceClient(`unix://${socket}`, credentials.createInsecure());
  try {
    await eventually(async () => {
      const version = await call(client.version.bind(client), {});
      return version.messages[0]?.metadata?.hostname === "pid1-node" ? version : undefined;
    }, 15_000);
  } finally {
    client.close();
  }
  const utsName = await eventually(() => {
    const name = execFileSync("nsenter", ["--target", String(pid1), "--uts", "hostname"], {
      encoding: "utf8",
    }).trim();
    return name === "pid1-node" ? name : undefined;
  }, 10_000);
  assert.equal(utsName, "pid1-node");
  assert.notEqual(hostname(), "pid1-node");
  assert.ok(existsSync(join(varDir, "log")), "EPHEMERAL is not --var-dir");
  // (/system/var holds the system containerd's root as PID 1; EPHEMERAL's logs must not be there.)
  assert.equal(existsSync(join(stateDir, "var", "log")), false);

  process.kill(pid1, "SIGTERM");
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.deepEqual([code, signal], [0, null], stderr);
  assert.equal(existsSync(socket), false);
});

test("as PID 1 an error ends machined with 1 and one error line, instead of hanging the node", async () => {
  const proc = spawn(
    "unshare",
    [
      ...["--pid", "--fork", "--mount-proc", "--uts", "--ipc", "--kill-child"],
      process.execPath,
      MAIN,
      ...["--state-dir", join(dir, "broken"), "--config", join(dir, "missing.yaml")],
    ],
    { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000, killSignal: "SIGKILL" },
  );
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(proc, "exit")) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /^error: Cannot read the config file: .*missing\.yaml/m);
});

/** A TCP port free on loopback right now, so the apid this machined starts does not collide. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
