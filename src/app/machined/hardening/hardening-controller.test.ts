import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { ControllerRuntime, ResourceStore } from "../../../runtime/index.ts";
import { kernelParamController, sysctlPath } from "../controllers/kernel-param-controller.ts";
import { KernelParamStatus } from "../resources/kernel-param-status.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { MACHINE_STATUS_ID, MachineStatus } from "../resources/machine-status.ts";
import { eventually } from "../testing/machined-fixture.ts";
import { HARDENING_CONTROLLER, hardeningController } from "./hardening-controller.ts";
import { KernelCmdlineStatus, SOURCE_LABEL } from "./kernel-cmdline-status.ts";
import { KSPP_SYSCTLS, MODULES_DISABLED } from "./kspp-sysctls.ts";

let dir: string;
let procSys: string;
let store: ResourceStore;
const runtimes: ControllerRuntime[] = [];

/** A fake /proc/sys with the KSPP keys at a stock kernel's values, less one this kernel lacks. */
const LACKING = "dev.tty.legacy_tiocsti";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hardening-"));
  procSys = join(dir, "proc-sys");
  for (const name of [...Object.keys(KSPP_SYSCTLS), MODULES_DISABLED]) {
    if (name === LACKING) continue;
    const path = sysctlPath(procSys, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, "0\n");
  }
  store = new ResourceStore();
  for (const type of [KernelParamStatus, KernelCmdlineStatus, MachineConfigResource, MachineStatus])
    store.registerType(type);
});

afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(options: { lockModules?: boolean; withConfigController?: boolean } = {}): void {
  const runtime = new ControllerRuntime(store, { backoff: { baseMs: 10, capMs: 50 } });
  runtime.register(
    hardeningController({
      procSysRoot: procSys,
      cmdline: "console=ttyS0 slab_nomerge pti=on",
      lockModules: options.lockModules ?? false,
    }),
  );
  runtime.start();
  runtimes.push(runtime);
  if (options.withConfigController) {
    const machined = new ControllerRuntime(store, { backoff: { baseMs: 10, capMs: 50 } });
    machined.register(kernelParamController({ scope: "all", procSysRoot: procSys }));
    machined.start();
    runtimes.push(machined);
  }
}

const kernel = (name: string) => readFileSync(sysctlPath(procSys, name), "utf8").trim();
const status = (name: string) => store.get(KernelParamStatus, name);

test("writes every KSPP sysctl, reports each read back with source kspp; a key the kernel lacks is unsupported", async () => {
  start();
  await eventually(() => status("vm.unprivileged_userfaultfd"));
  for (const [name, value] of Object.entries(KSPP_SYSCTLS)) {
    const resource = await eventually(() => status(name));
    assert.equal(resource.metadata.owner, HARDENING_CONTROLLER);
    assert.equal(resource.metadata.labels[SOURCE_LABEL], "kspp");
    if (name === LACKING) {
      assert.match(
        resource.spec.unsupportedReason,
        /no such kernel parameter: \/proc\/sys\/dev\/tty\/legacy_tiocsti/,
      );
      continue;
    }
    assert.equal(kernel(name), value, name);
    assert.deepEqual(resource.spec, {
      current: value,
      desired: value,
      default: "0",
      unsupportedReason: "",
    });
  }
  assert.equal(status(MODULES_DISABLED), undefined, "no module lock unless asked");
});

test("reports whether each hardening boot parameter is on the command line", async () => {
  start();
  const initOnAlloc = await eventually(() => store.get(KernelCmdlineStatus, "init_on_alloc=1"));
  assert.equal(initOnAlloc.spec.present, false);
  assert.equal(store.get(KernelCmdlineStatus, "slab_nomerge")?.spec.present, true);
  assert.equal(store.get(KernelCmdlineStatus, "pti=on")?.spec.present, true);
});

test("locks module loading only once boot finished, and reports it", async () => {
  start({ lockModules: true });
  await eventually(() => status("kernel.kptr_restrict"));
  await store.modify(MachineStatus, MACHINE_STATUS_ID, {
    transform: () => ({ stage: "booting" as const, ready: false, unmetConditions: [] }),
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(kernel(MODULES_DISABLED), "0", "not while booting");
  await store.modify(MachineStatus, MACHINE_STATUS_ID, {
    transform: () => ({ stage: "maintenance" as const, ready: false, unmetConditions: [] }),
  });
  const locked = await eventually(() =>
    status(MODULES_DISABLED)?.spec.current === "1" ? status(MODULES_DISABLED) : undefined,
  );
  assert.equal(kernel(MODULES_DISABLED), "1");
  assert.equal(locked.metadata.labels[SOURCE_LABEL], "kspp");
});

test("the config overrides a KSPP key: the config's controller then owns its status and value", async () => {
  start({ withConfigController: true });
  await eventually(() => (status("kernel.kptr_restrict")?.spec.current === "2" ? true : undefined));
  const yaml =
    "apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\ntype: worker\nsysctls:\n  kernel.kptr_restrict: 1\n";
  await store.modify(MachineConfigResource, MACHINE_CONFIG_ID, { transform: () => ({ yaml }) });
  const overridden = await eventually(
    () => (status("kernel.kptr_restrict")?.spec.current === "1" ? status("kernel.kptr_restrict") : undefined),
    10_000,
  );
  assert.equal(overridden.metadata.owner, "runtime.KernelParamController");
  assert.equal(kernel("kernel.kptr_restrict"), "1");
  assert.equal(kernel("kernel.dmesg_restrict"), "1", "the other KSPP keys stay");
  assert.equal(status("kernel.dmesg_restrict")?.metadata.owner, HARDENING_CONTROLLER);
});
