import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, before, beforeEach, test } from "node:test";
import { type TestConfigs, testConfigs } from "../testing/machined-fixture.ts";
import { ConfigStore } from "./config-store.ts";

let configs: TestConfigs;
let dir: string;
let store: ConfigStore;

before(async () => {
  configs = await testConfigs();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reboot-required-"));
  store = new ConfigStore(dir, { validationMode: "container" });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

// The test "apply a no-reboot change (hostname, a sysctl) → visible in resources" relies on it:
// both are reconciled live by controllers, so `apply-config --mode no-reboot` must take them.
test("hostname and sysctl changes, added, changed or removed, apply in no-reboot mode", () => {
  const with_ = (hostname: string, sysctls: Record<string, string>) =>
    configs.yaml((m) => ({ ...m, network: { ...m.network, hostname }, sysctls }));
  store.commit(store.validate(with_("a", {})));
  const steps = [
    with_("a", { "net.ipv4.ip_forward": "1" }),
    with_("b", { "net.ipv4.ip_forward": "0", "net.core.somaxconn": "1024" }),
    with_("c", {}),
  ];
  for (const text of steps) {
    const plan = store.plan(text, "no-reboot");
    assert.equal(plan.mode, "no-reboot");
    store.commit(plan.config);
    assert.equal(store.plan(text, "auto").mode, "no-reboot", "auto needs no reboot either");
  }
});
