import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import type { LogSink, RunHandle } from "../system/runner.ts";
import { CtrContainerRunner } from "./ctr-container-runner.ts";
import { type FakeCtr, fakeCtr } from "./testing/fake-ctr.ts";

const IMAGE = "registry.k8s.io/etcd:3.5.16-0";
const target = { address: "/system/run/containerd/containerd.sock", namespace: "system" };

let ctr: FakeCtr;
let handles: RunHandle[];
beforeEach(() => {
  ctr = fakeCtr();
  handles = [];
});
afterEach(async () => {
  for (const handle of handles) await handle.stop({ timeoutMs: 100 });
  ctr.remove();
});

function collect(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}

function runner(): CtrContainerRunner {
  return new CtrContainerRunner({
    ...target,
    ctr: ctr.path,
    cgroupParent: () => "/stele/c1/cp-1",
    spec: () => ({
      id: "etcd",
      image: IMAGE,
      command: ["/usr/local/bin/etcd", "--name=cp-1"],
      hostNetwork: true,
    }),
  });
}

async function start(log = collect()): Promise<RunHandle> {
  const handle = await runner().start({ serviceId: "etcd", log, signal: new AbortController().signal });
  handles.push(handle);
  return handle;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

test("a stale container is removed before the run, and the run's output is the service's log", async () => {
  ctr.setImages([IMAGE]);
  const log = collect();
  await start(log);
  await until(() => log.lines.length > 0);
  assert.deepEqual(log.lines, ["container started: --name=cp-1"]);
  const verbs = ctr.calls().map((args) => args.slice(4, 6).join(" "));
  assert.deepEqual(verbs, ["tasks kill", "tasks delete", "containers delete", "images list", "run --rm"]);
  const run = ctr.calls().at(-1)!;
  assert.ok(run.includes("/stele/c1/cp-1/system/etcd"));
});

test("stopping forwards SIGTERM to the container through ctr", async () => {
  ctr.setImages([IMAGE]);
  const log = collect();
  const handle = await start(log);
  await until(() => ctr.running());
  const exit = await handle.stop({ timeoutMs: 5_000 });
  assert.deepEqual(exit, { code: 143, signal: null });
  assert.ok(log.lines.includes("container got SIGTERM"));
});

test("a container that ignores SIGTERM is killed through its task after the timeout", async () => {
  ctr.setImages([IMAGE]);
  ctr.ignoreTerm();
  const handle = await start();
  await until(() => ctr.running());
  const started = Date.now();
  const exit = await handle.stop({ timeoutMs: 300 });
  assert.equal(exit.signal, "SIGKILL");
  assert.ok(Date.now() - started < 4_000, "killed through the task, not after ctr's own grace");
  const kills = ctr.calls().filter((args) => args[4] === "tasks" && args[5] === "kill");
  assert.ok(kills.length >= 2, "one kill before the run, one at the stop timeout");
});

test("a missing image is pulled; a failed pull says which image and why", async () => {
  await start();
  assert.ok(ctr.calls().some((args) => args.slice(4).join(" ") === `images pull ${IMAGE}`));
  for (const handle of handles.splice(0)) await handle.stop({ timeoutMs: 100 });

  const other = fakeCtr();
  try {
    other.failPulls();
    const failing = new CtrContainerRunner({
      ...target,
      ctr: other.path,
      cgroupParent: () => "/",
      spec: () => ({ id: "etcd", image: IMAGE, command: [] }),
    });
    await assert.rejects(
      failing.start({ serviceId: "etcd", log: collect(), signal: new AbortController().signal }),
      {
        code: "unavailable",
        message: new RegExp(`^Cannot pull image ${IMAGE.replaceAll(".", "\\.")}: ctr: failed to resolve`),
      },
    );
    assert.ok(!other.calls().some((args) => args[4] === "run"), "nothing runs without its image");
  } finally {
    other.remove();
  }
});
