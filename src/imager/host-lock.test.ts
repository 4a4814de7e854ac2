import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { withHostLock } from "./host-lock.ts";

test("holders of the same lock take turns; other locks do not wait", async () => {
  const key = `test:${randomUUID()}`;
  const events: string[] = [];
  let waited = 0;
  const hold = (name: string, ms: number) =>
    withHostLock(
      key,
      async () => {
        events.push(`${name} in`);
        await sleep(ms);
        events.push(`${name} out`);
      },
      { onWait: () => waited++ },
    );
  const other = withHostLock(`${key}:other`, async () => events.push("other"));
  await Promise.all([hold("a", 150), sleep(20).then(() => hold("b", 10)), other]);
  assert.deepEqual(
    events.filter((e) => e !== "other"),
    ["a in", "a out", "b in", "b out"],
  );
  assert.ok(events.indexOf("other") < events.indexOf("a out"), "another key is not blocked");
  assert.equal(waited, 1);
});

test("a lock whose holder is killed is free at once (no stale lock to clean up)", async () => {
  const key = `test:${randomUUID()}`;
  const holder = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { withHostLock } from ${JSON.stringify(new URL("./host-lock.ts", import.meta.url).href)};
       await withHostLock(${JSON.stringify(key)}, async () => { console.log("held"); await new Promise(() => {}); });`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await once(holder.stdout!, "data");
  let waited = false;
  const taken = withHostLock(key, async () => "taken", { onWait: () => (waited = true) });
  await sleep(150);
  assert.ok(waited, "waits while the other process holds it");
  holder.kill("SIGKILL");
  assert.equal(await taken, "taken");
});

test("waiting too long is a busy error that says what to do", async () => {
  const key = `test:${randomUUID()}`;
  await withHostLock(key, async () => {
    await assert.rejects(
      withHostLock(key, async () => {}, { timeoutMs: 200 }),
      (error: Error & { code?: string; hint?: string }) => {
        assert.equal(error.code, "busy");
        assert.match(error.message, /^Timed out waiting for another image build/);
        assert.ok(error.hint);
        return true;
      },
    );
  });
});
