import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type MetalCalls, MetalPlatform } from "./metal-platform.ts";

const dir = mkdtempSync(join(tmpdir(), "metal-platform-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function spyCalls(): MetalCalls & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    sethostname: (name) => log.push(`sethostname ${name}`),
    reboot: (command) => log.push(`reboot ${command}`),
    reexec: () => log.push("reexec"),
  };
}

test("refuses to run unless machined is PID 1, saying what to run instead", () => {
  assert.throws(() => new MetalPlatform({ pid: 4242, root: dir }), {
    code: "failed-precondition",
    message: /Refusing the metal platform: machined is PID 4242, not PID 1/,
    hint: /--platform container/,
  });
});

test("paths: STATE /system/state, EPHEMERAL /var, run /system/run; says once that nothing persists yet", () => {
  const lines: string[] = [];
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    calls: spyCalls(),
    log: (line) => lines.push(line),
  });
  assert.deepEqual(platform.paths, {
    state: join(dir, "system/state"),
    ephemeral: join(dir, "var"),
    meta: join(dir, "system/meta.json"),
    run: join(dir, "system/run"),
  });
  for (const path of [platform.paths.state, platform.paths.ephemeral, platform.paths.run])
    assert.ok(existsSync(path));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /tmpfs.*nothing persists/);
  assert.equal(platform.mode, "metal");
});

test("hostname by sethostname(2); with STATE on a partition, reboot and poweroff by reboot(2)", async () => {
  const calls = spyCalls();
  const platform = new MetalPlatform({ pid: 1, root: dir, calls, persistentState: true });
  await platform.setHostname("node-m");
  assert.equal(platform.hostname(), "node-m");
  await platform.reboot();
  await platform.poweroff();
  assert.deepEqual(calls.log, ["sethostname node-m", "reboot restart", "reboot power-off"]);
});

test("with STATE on tmpfs (the default for now), reboot re-executes machined: the applied config survives", async () => {
  const calls = spyCalls();
  const platform = new MetalPlatform({ pid: 1, root: dir, calls });
  await platform.reboot();
  await platform.poweroff();
  assert.deepEqual(calls.log, ["reexec", "reboot power-off"]);
});

test("a refused sethostname fails setHostname and keeps the name it had", async () => {
  const platform = new MetalPlatform({
    pid: 1,
    root: dir,
    calls: {
      sethostname: () => {
        throw new Error("EPERM");
      },
      reboot: () => {},
      reexec: () => {},
    },
  });
  const before = platform.hostname();
  await assert.rejects(platform.setHostname("x"), /EPERM/);
  assert.equal(platform.hostname(), before);
});
