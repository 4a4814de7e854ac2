import assert from "node:assert/strict";
import { test } from "node:test";
import { loadModules, type ModuleLoad, parseModuleOrder } from "./load-modules.ts";

test("loads the modules in the given order and counts those already loaded", () => {
  const calls: string[] = [];
  const result = loadModules("/m", ["failover", "net_failover", "virtio_net"], (path) => {
    calls.push(path);
    return (
      path.endsWith("failover.ko") && !path.includes("net_") ? "already-loaded" : "loaded"
    ) as ModuleLoad;
  });
  assert.deepEqual(calls, ["/m/failover.ko", "/m/net_failover.ko", "/m/virtio_net.ko"]);
  assert.deepEqual(result, { loaded: 2, alreadyLoaded: 1 });
});

test("stops at the first module that fails, naming it", () => {
  const calls: string[] = [];
  assert.throws(
    () =>
      loadModules("/m", ["a", "b", "c"], (path) => {
        calls.push(path);
        if (path.endsWith("b.ko"))
          throw new Error('finit_module(3, "", 0): ENOENT (No such file or directory)');
        return "loaded";
      }),
    { message: /Cannot load kernel module b: finit_module.*ENOENT/ },
  );
  assert.equal(calls.length, 2);
});

test("reads a load-order file, ignoring blank lines and comments", () => {
  assert.deepEqual(parseModuleOrder("# order\nfailover\n\n net_failover  # needs failover\n"), [
    "failover",
    "net_failover",
  ]);
});
