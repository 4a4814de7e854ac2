import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { containerdInstances } from "./containerd-instance.ts";
import { containerdService } from "./containerd-service.ts";
import { renderContainerdConfig } from "./render-containerd-config.ts";
import { type FakeCtr, fakeCtr } from "./testing/fake-ctr.ts";

let dir: string;
let ctr: FakeCtr;
let server: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-containerd-service-"));
  ctr = fakeCtr();
});
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  ctr.remove();
  rmSync(dir, { recursive: true, force: true });
});

const instances = () =>
  containerdInstances({ stateDir: join(dir, "system"), varDir: join(dir, "var"), runDir: join(dir, "run") });

function listen(path: string): Promise<void> {
  server = createServer((socket) => socket.end());
  return new Promise((resolve) => server!.listen(path, resolve));
}

test("prepare renders the instance's config and makes its directories, the root private", async () => {
  const { system } = instances();
  const service = containerdService(system, { unavailable: () => undefined, log: () => {} });
  await service.prepare?.(new AbortController().signal);
  assert.equal(readFileSync(system.configPath, "utf8"), renderContainerdConfig(system));
  assert.equal(statSync(system.root).mode & 0o777, 0o700);
  assert.ok(statSync(system.state).isDirectory());
  assert.deepEqual(
    (service.runner as unknown as { command: string; options: { args: string[] } }).options.args,
    ["--config", system.configPath],
  );
});

test("it is skipped with the reason containers cannot run here", async () => {
  const service = containerdService(instances().cri, { unavailable: () => "not PID 1", log: () => {} });
  assert.equal(await service.skip?.(new AbortController().signal), "not PID 1");
});

test("the system instance is healthy once its socket answers and the image cache is imported, once", async () => {
  const { system } = instances();
  const cache = join(dir, "image-cache");
  mkdirSync(cache);
  writeFileSync(join(cache, "etcd.tar"), "");
  const logged: string[] = [];
  const service = containerdService(system, {
    unavailable: () => undefined,
    log: (m) => logged.push(m),
    imageCacheDir: cache,
    ctr: ctr.path,
  });
  const check = () => service.health!.check(new AbortController().signal);
  await assert.rejects(check(), /Cannot connect to .*containerd\.sock/);
  await service.prepare?.(new AbortController().signal);
  await listen(system.socket);
  await check();
  assert.ok(logged.includes(`Imported image example.com/etcd:1 from ${join(cache, "etcd.tar")}`));
  await check();
  assert.equal(
    ctr.calls().filter((args) => args[5] === "import").length,
    1,
    "imported at the first start only",
  );
});

test("the CRI instance imports nothing: it is healthy as soon as its socket answers", async () => {
  const { cri } = instances();
  const service = containerdService(cri, { unavailable: () => undefined, log: () => {}, ctr: ctr.path });
  await service.prepare?.(new AbortController().signal);
  await listen(cri.socket);
  await service.health!.check(new AbortController().signal);
  assert.deepEqual(ctr.calls(), []);
});
