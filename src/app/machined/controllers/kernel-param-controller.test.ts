import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { parse } from "yaml";
import { ControllerRuntime, ResourceStore } from "../../../runtime/index.ts";
import { KernelParamStatus } from "../resources/kernel-param-status.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { call, eventually, startMachined, testConfigs } from "../testing/machined-fixture.ts";
import {
  isNamespacedSysctl,
  type KernelParamScope,
  kernelParamController,
  NOT_NAMESPACED,
  sysctlPath,
} from "./kernel-param-controller.ts";

let dir: string;
let procSys: string;
let store: ResourceStore;
let runtime: ControllerRuntime | undefined;

/** A fake /proc/sys with a few parameters, as the kernel prints them. */
const KERNEL: Readonly<Record<string, string>> = {
  "net/ipv4/ip_forward": "0\n",
  "net/ipv4/ip_local_port_range": "32768\t60999\n",
  "net/core/somaxconn": "4096\n",
  "kernel/pid_max": "4194304\n",
  "kernel/shmmax": "18446744073692774399\n",
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kernel-params-"));
  procSys = join(dir, "proc-sys");
  for (const [path, value] of Object.entries(KERNEL)) {
    mkdirSync(dirname(join(procSys, path)), { recursive: true });
    writeFileSync(join(procSys, path), value);
  }
  store = new ResourceStore();
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(scope: KernelParamScope, defaultsFile?: string): void {
  runtime = new ControllerRuntime(store);
  runtime.register(kernelParamController({ scope, procSysRoot: procSys, defaultsFile }));
  runtime.start();
}

async function configure(sysctls: Record<string, string | number>): Promise<void> {
  const lines = Object.entries(sysctls).map(([name, value]) => `  ${name}: ${JSON.stringify(value)}`);
  const yaml = `apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\ntype: worker\nsysctls:${
    lines.length === 0 ? " {}" : `\n${lines.join("\n")}`
  }\n`;
  await store.modify(MachineConfigResource, MACHINE_CONFIG_ID, { transform: () => ({ yaml }) });
}

const kernel = (path: string) => readFileSync(join(procSys, path), "utf8");
const statusOf = (name: string) => store.get(KernelParamStatus, name)?.spec;
const published = (name: string, desired: string) =>
  eventually(() => (statusOf(name)?.desired === desired ? statusOf(name) : undefined));

describe("in a sandbox node (namespaced scope)", () => {
  test("a net.* parameter is written and read back; the default is the value before", async () => {
    start("namespaced");
    await configure({ "net.ipv4.ip_forward": 1 });
    assert.deepEqual(await published("net.ipv4.ip_forward", "1"), {
      current: "1",
      desired: "1",
      default: "0",
      unsupportedReason: "",
    });
    assert.equal(kernel("net/ipv4/ip_forward"), "1");
  });

  test("a parameter outside the node's namespaces is reported, never written", async () => {
    start("namespaced");
    await configure({ "kernel.pid_max": "65536", "kernel.shmmax": "68719476736" });
    const pidMax = await published("kernel.pid_max", "65536");
    assert.equal(pidMax.unsupportedReason, NOT_NAMESPACED);
    assert.equal(pidMax.current, "4194304");
    assert.equal(kernel("kernel/pid_max"), "4194304\n", "the host's value is untouched");
    // IPC parameters are the node's own.
    assert.equal((await published("kernel.shmmax", "68719476736")).current, "68719476736");
  });

  test("a parameter the kernel does not have is reported as such", async () => {
    start("namespaced");
    await configure({ "net.ipv4.no_such_thing": "1" });
    const status = await published("net.ipv4.no_such_thing", "1");
    assert.equal(status.unsupportedReason, "no such kernel parameter: /proc/sys/net/ipv4/no_such_thing");
  });

  test("a value refused by the kernel is reported with the reason", async () => {
    mkdirSync(join(procSys, "net", "ipv4", "refusing"));
    start("namespaced");
    await configure({ "net.ipv4.refusing": "1" });
    assert.match(
      (await published("net.ipv4.refusing", "1")).unsupportedReason,
      /kernel refused the value: EISDIR/,
    );
  });

  test("a value equal but for the kernel's tabs is left alone", async () => {
    start("namespaced");
    await configure({ "net.ipv4.ip_local_port_range": "32768   60999" });
    const status = await published("net.ipv4.ip_local_port_range", "32768 60999");
    assert.equal(status.current, "32768 60999");
    assert.equal(kernel("net/ipv4/ip_local_port_range"), "32768\t60999\n", "not rewritten");
  });

  test("a key removed from the config gets its default back and its status goes", async () => {
    start("namespaced");
    await configure({ "net.ipv4.ip_forward": "1", "net.core.somaxconn": "1024" });
    await published("net.core.somaxconn", "1024");
    await configure({ "net.core.somaxconn": "1024" });
    await eventually(() => (statusOf("net.ipv4.ip_forward") === undefined ? true : undefined));
    assert.equal(kernel("net/ipv4/ip_forward"), "0");
    assert.equal(kernel("net/core/somaxconn"), "1024");
    store.destroy(MachineConfigResource, MACHINE_CONFIG_ID);
    await eventually(() => (store.list(KernelParamStatus).length === 0 ? true : undefined));
    assert.equal(kernel("net/core/somaxconn"), "4096", "no config: every value Stele wrote is restored");
  });

  test("a key Stele never had to write is not 'restored' over someone else's change", async () => {
    start("namespaced");
    await configure({ "net.ipv4.ip_forward": "0" });
    await published("net.ipv4.ip_forward", "0");
    writeFileSync(join(procSys, "net/ipv4/ip_forward"), "1");
    await configure({});
    await eventually(() => (statusOf("net.ipv4.ip_forward") === undefined ? true : undefined));
    assert.equal(kernel("net/ipv4/ip_forward"), "1");
  });

  test("the defaults survive a restart of machined, as the sandbox's network namespace does", async () => {
    const defaultsFile = join(dir, "state", "kernel-param-defaults.json");
    start("namespaced", defaultsFile);
    await configure({ "net.ipv4.ip_forward": "1" });
    await published("net.ipv4.ip_forward", "1");
    await runtime?.close();
    // A reboot: a new machined finds the value it wrote, not the kernel's default.
    store = new ResourceStore();
    start("namespaced", defaultsFile);
    await configure({ "net.ipv4.ip_forward": "1" });
    assert.equal((await published("net.ipv4.ip_forward", "1")).default, "0");
    await configure({});
    await eventually(() => (kernel("net/ipv4/ip_forward") === "0" ? true : undefined));
    assert.deepEqual(JSON.parse(readFileSync(defaultsFile, "utf8")), {});
  });
});

describe("other scopes", () => {
  test("a machined sharing the host's namespaces writes nothing, and says why", async () => {
    start("none");
    await configure({ "net.ipv4.ip_forward": "1" });
    const status = await published("net.ipv4.ip_forward", "1");
    assert.match(status.unsupportedReason, /shares the host's namespaces/);
    assert.equal(kernel("net/ipv4/ip_forward"), "0\n");
  });

  test("on metal every parameter may be written", async () => {
    start("all");
    await configure({ "kernel.pid_max": "65536" });
    assert.equal((await published("kernel.pid_max", "65536")).unsupportedReason, "");
    assert.equal(kernel("kernel/pid_max"), "65536");
  });
});

describe("names", () => {
  test("namespaced sysctls are the network, IPC and UTS ones", () => {
    const cases: [string, boolean][] = [
      ["net.ipv4.ip_forward", true],
      ["net.core.somaxconn", true],
      ["kernel.shmmax", true],
      ["kernel.shm_rmid_forced", true],
      ["kernel.msgmnb", true],
      ["kernel.sem", true],
      ["fs.mqueue.msg_max", true],
      ["kernel.hostname", true],
      ["kernel.domainname", true],
      ["kernel.pid_max", false],
      ["kernel.semaphores", false],
      ["vm.swappiness", false],
      ["fs.file-max", false],
      ["netfilter.x", false],
    ];
    for (const [name, namespaced] of cases) assert.equal(isNamespacedSysctl(name), namespaced, name);
  });

  test("dots are directories and a slash is a dot inside a name, as sysctl maps them", () => {
    assert.equal(sysctlPath("/proc/sys", "net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    assert.equal(
      sysctlPath("/proc/sys", "net.ipv4.conf.eth0/100.forwarding"),
      "/proc/sys/net/ipv4/conf/eth0.100/forwarding",
    );
  });
});

describe("in machined", () => {
  test("the config's sysctls are published as KernelParamStatus (kps); a plain-process node writes none", async () => {
    const configs = await testConfigs();
    const node = await startMachined(
      configs.yaml((m) => ({ ...m, sysctls: { "net.ipv4.ip_forward": "1" } })),
    );
    try {
      const spec = await eventually(async () => {
        const reply = await call(node.resources.get.bind(node.resources), {
          namespace: "",
          type: "kps",
          id: "net.ipv4.ip_forward",
        }).catch(() => undefined);
        const yaml = reply?.messages[0]?.resource?.spec?.yaml;
        return yaml ? (parse(yaml.toString()) as { desired: string; unsupportedReason: string }) : undefined;
      });
      assert.equal(spec.desired, "1");
      assert.match(spec.unsupportedReason, /shares the host's namespaces/);
    } finally {
      await node.close();
    }
  });
});
