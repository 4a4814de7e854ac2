import assert from "node:assert/strict";
import { test } from "node:test";
import { runStelectl } from "../client/fake-apid-fixture.ts";

test("dashboard refuses an interval WatchStats would not accept, before dialling anything", async () => {
  const run = await runStelectl(["dashboard", "--interval", "10ms"]);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /Invalid --interval: expected 250ms to 1m, got "10ms"/);
  assert.match(run.stderr, /hint: Pass a duration such as 500ms/);
});

test("dashboard without a terminal says so and points to the scriptable commands", async () => {
  const run = await runStelectl(["dashboard"]);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /The dashboard needs a terminal/);
  assert.match(run.stderr, /stelectl services/);
});
