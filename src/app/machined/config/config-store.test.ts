import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, before, beforeEach, describe, test } from "node:test";
import { isConfigError } from "../../../machinery/config/index.ts";
import { isSteleError } from "../../../machinery/errors.ts";
import { type TestConfigs, testConfigs } from "../testing/machined-fixture.ts";
import { ConfigStore } from "./config-store.ts";
import { rebootRequiredChanges } from "./reboot-required-changes.ts";

let configs: TestConfigs;
let dir: string;
let store: ConfigStore;

const named = (hostname: string) => configs.yaml((m) => ({ ...m, network: { ...m.network, hostname } }));
const file = (name: string) => join(dir, name);

before(async () => {
  configs = await testConfigs();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "config-store-"));
  store = new ConfigStore(dir, { validationMode: "container" });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ConfigStore", () => {
  test("without a config file, boot finds none (maintenance mode)", () => {
    assert.equal(store.loadAtBoot(), undefined);
    assert.equal(store.current, undefined);
  });

  test("an invalid config throws the validator's ConfigError and writes nothing", () => {
    store.commit(store.validate(named("a")));
    const text = named("a").replace("type: worker", "type: potato");
    assert.throws(
      () => store.plan(text, "auto"),
      (error) => isConfigError(error) && /config\.yaml:\d+:\d+/.test(error.message),
    );
    assert.equal(readFileSync(file("config.yaml"), "utf8"), named("a"));
  });

  test("the running config is stored byte for byte, with mode 0600", () => {
    store.commit(store.validate(named("a")));
    assert.equal(readFileSync(file("config.yaml"), "utf8"), named("a"));
  });

  const rebootOnly: Array<[string, (yaml: string) => string, string]> = [
    ["debug", (y) => y.replace("type: worker\n", "type: worker\ndebug: true\n"), "debug"],
    ["install.disk", (y) => y.replace("disk: /dev/sda", "disk: /dev/vda"), "install.disk"],
  ];
  for (const [name, change, field] of rebootOnly) {
    test(`a change to ${name} is refused in no-reboot and try mode, and auto picks reboot`, () => {
      store.commit(store.validate(named("a")));
      const text = change(named("a"));
      for (const mode of ["no-reboot", "try"] as const) {
        assert.throws(
          () => store.plan(text, mode),
          (error) =>
            isSteleError(error) && error.code === "failed-precondition" && error.message.includes(field),
        );
      }
      assert.equal(store.plan(text, "auto").mode, "reboot");
    });
  }

  test("the machine type is reboot-only too", () => {
    const worker = store.validate(named("a")).parsed.machineConfig;
    assert.deepEqual(rebootRequiredChanges(worker, { ...worker, type: "controlplane" }), ["type"]);
    assert.deepEqual(rebootRequiredChanges(worker, { ...worker, network: { hostname: "b" } }), []);
  });

  test("a hostname change applies live in auto mode", () => {
    store.commit(store.validate(named("a")));
    assert.equal(store.plan(named("b"), "auto").mode, "no-reboot");
  });

  test("a staged config is promoted at the next boot only", () => {
    store.commit(store.validate(named("a")));
    store.stage(store.validate(named("b")));
    assert.equal(readFileSync(file("config.yaml"), "utf8"), named("a"));
    const booted = new ConfigStore(dir, { validationMode: "container" }).loadAtBoot();
    assert.equal(booted?.text, named("b"));
    assert.equal(existsSync(file("config.staged.yaml")), false);
  });

  test("an unconfirmed try is rolled back by its timer, and by a reboot", async () => {
    store.commit(store.validate(named("a")));
    let restored: string | undefined;
    store.tryApply(store.validate(named("b")), 50, (config) => {
      restored = config.text;
    });
    assert.equal(readFileSync(file("config.yaml"), "utf8"), named("b"));
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(restored, named("a"));
    assert.equal(readFileSync(file("config.yaml"), "utf8"), named("a"));

    store.tryApply(store.validate(named("c")), 60_000, () => {});
    store.close();
    assert.equal(new ConfigStore(dir, { validationMode: "container" }).loadAtBoot()?.text, named("a"));
  });

  test("a second apply confirms a try", async () => {
    store.commit(store.validate(named("a")));
    store.tryApply(store.validate(named("b")), 50, () => assert.fail("rolled back after confirmation"));
    store.commit(store.validate(named("b")));
    assert.equal(store.tryPending, false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(readFileSync(file("config.yaml"), "utf8"), named("b"));
  });

  test("try is refused in maintenance mode: there is nothing to roll back to", () => {
    assert.throws(
      () => store.plan(named("a"), "try"),
      (error) => isSteleError(error) && error.code === "failed-precondition",
    );
    assert.equal(store.plan(named("a"), "no-reboot").mode, "reboot");
  });

  test("a stored config that no longer validates fails the boot with a ConfigError", () => {
    writeFileSync(file("config.yaml"), "kind: Nonsense\n");
    assert.throws(() => store.loadAtBoot(), isConfigError);
  });
});
