import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ContainerPlatform, type SandboxCalls } from "./container-platform.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "container-platform-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function spyCalls(): SandboxCalls & { log: string[] } {
  const log: string[] = [];
  return { log, sethostname: (name) => log.push(`sethostname ${name}`), restart: () => log.push("restart") };
}

test("paths: STATE, run and /var under the state dir by default, created private", () => {
  const platform = new ContainerPlatform(join(dir, "a"), { sandboxed: false });
  assert.deepEqual(platform.paths, {
    state: join(dir, "a", "state"),
    ephemeral: join(dir, "a", "var"),
    meta: join(dir, "a", "meta.json"),
    run: join(dir, "a", "run"),
  });
  for (const path of [platform.paths.state, platform.paths.ephemeral, platform.paths.run])
    assert.ok(existsSync(path));
});

test("varDir places EPHEMERAL elsewhere, as a sandboxed node's /var", () => {
  const platform = new ContainerPlatform(join(dir, "b"), {
    sandboxed: false,
    varDir: join(dir, "elsewhere"),
  });
  assert.equal(platform.paths.ephemeral, join(dir, "elsewhere"));
  assert.equal(platform.paths.state, join(dir, "b", "state"));
  assert.ok(existsSync(join(dir, "elsewhere")));
  assert.equal(existsSync(join(dir, "b", "var")), false);
});

test("not sandboxed (a test or `node run` on a shared host) it calls nothing: the hostname is recorded, reboot resolves", async () => {
  const calls = spyCalls();
  const platform = new ContainerPlatform(join(dir, "c"), { sandboxed: false, calls });
  assert.equal(platform.hostname(), hostname());
  await platform.setHostname("node-c");
  assert.equal(platform.hostname(), "node-c");
  await platform.reboot();
  assert.deepEqual(calls.log, []);
});

test("sandboxed it sets the UTS hostname and reboots with reboot(2)", async () => {
  const calls = spyCalls();
  const platform = new ContainerPlatform(join(dir, "d"), { sandboxed: true, calls });
  await platform.setHostname("node-d");
  assert.equal(platform.hostname(), "node-d");
  await platform.reboot();
  assert.deepEqual(calls.log, ["sethostname node-d", "restart"]);
});

test("a refused sethostname fails setHostname and leaves the recorded name", async () => {
  const platform = new ContainerPlatform(join(dir, "e"), {
    sandboxed: true,
    calls: {
      sethostname: () => {
        throw new Error('sethostname("x"): EPERM (Operation not permitted)');
      },
      restart: () => {},
    },
  });
  const before = platform.hostname();
  await assert.rejects(platform.setHostname("x"), /EPERM/);
  assert.equal(platform.hostname(), before);
});

test("poweroff calls onPoweroff, sandboxed or not (PID 1 ending is a sandbox's power-off)", async () => {
  for (const sandboxed of [false, true]) {
    let called = 0;
    const calls = spyCalls();
    const platform = new ContainerPlatform(join(dir, `f${sandboxed}`), {
      sandboxed,
      calls,
      onPoweroff: () => called++,
    });
    await platform.poweroff();
    assert.equal(called, 1);
    assert.deepEqual(calls.log, []);
  }
});

test("sandboxed defaults to whether this process is PID 1", () => {
  assert.equal(new ContainerPlatform(join(dir, "g")).sandboxed, process.pid === 1);
});
