/**
 * A Stele node on `metal` in a QEMU VM, one boot shared by every step: the kernel boots with
 * `ip=` and the KSPP boot parameters; machined (PID 1, `--platform metal`) sets the static network
 * by ioctls and prints the maintenance fingerprint; a generated controlplane config is applied
 * through the forwarded apid port (insecure, pinned to that fingerprint); then mutual TLS answers
 * Version with the config's hostname, KernelParamStatus shows the hardening and the module lock,
 * Memory says what the node uses at 512 MiB, and Shutdown powers the VM off: QEMU exits by itself.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ChannelCredentials } from "@grpc/grpc-js";
import { parse } from "yaml";
import { mutualTlsCredentials } from "../../src/cli/client/channel-credentials.ts";
import { connectClusterNodes } from "../../src/cli/commands/cluster.ts";
import { type BootImages, ensureBootImages } from "../../src/imager/boot/index.ts";
import { MachineServiceClient } from "../../src/machinery/api/machine/v1alpha1/machine.ts";
import { VersionServiceClient } from "../../src/machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../src/machinery/api/resource/v1alpha1/resource.ts";
import { type ClientContext, parseClientConfig } from "../../src/machinery/client/client-config.ts";
import { freeTcpPort, type QemuVm, startQemuVm } from "../../src/provision/qemu/index.ts";
import { guestChannelOptions, retry, unary } from "./vm-grpc.ts";

const REPO = join(import.meta.dirname, "..", "..");
const STELECTL = join(REPO, "bin", "stelectl.js");
/** Boot to the fingerprint measured 40–75 s under TCG; the whole test must stay within 4 min. */
const BOOT_TIMEOUT_MS = 240_000;
const HOSTNAME = "vm-metal-1";
const MEMORY_MIB = 512;
/**
 * apid's certificate names the node's own addresses, not the host's 127.0.0.1 that slirp forwards
 * from: TLS checks the name the guest has. A short reconnect backoff, since slirp resets the
 * connections made before apid listens.
 */
const CHANNEL_OPTIONS = guestChannelOptions("10.0.2.15");

describe("a metal node in a QEMU VM", { timeout: 480_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "vm-node-"));
  let images: BootImages;
  let vm: QemuVm | undefined;
  let endpoint = "";
  let context: ClientContext;
  let credentials: ChannelCredentials;
  let fingerprint = "";
  const clients: Array<{ close(): void }> = [];

  before(async () => {
    images = await ensureBootImages({ outputDir: join(REPO, "_out", "images") });
    const generated = spawnSync(
      process.execPath,
      [
        STELECTL,
        ...["gen", "config", "vm", "https://10.0.2.15:6443", "--output-dir", dir],
        ...["--config-patch", JSON.stringify({ network: { hostname: HOSTNAME } })],
      ],
      { encoding: "utf8", env: { ...process.env, NODE_NO_WARNINGS: "1" } },
    );
    assert.equal(generated.status, 0, generated.stderr);
    const file = join(dir, "stelectlconfig");
    const config = parseClientConfig(readFileSync(file, "utf8"), { file });
    const port = await freeTcpPort();
    endpoint = `127.0.0.1:${port}`;
    context = { ...config.contexts[config.context]!, endpoints: [endpoint], nodes: [endpoint] };
    credentials = mutualTlsCredentials(context);
    vm = await startQemuVm({
      kernel: images.kernel,
      initrd: images.initramfs,
      drives: [{ file: images.rootfs, readOnly: true }],
      memoryMiB: MEMORY_MIB,
      append: ["ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off"],
      hostForwards: [{ hostPort: port, guestPort: 50000 }],
      consoleLog: join(dir, "console.log"),
    });
  });

  after(async () => {
    for (const client of clients) client.close();
    await vm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("boots to maintenance mode with the static network from ip=", async (t) => {
    const ready = await vm!.waitForConsole(/fingerprint SHA256 ([0-9A-F:]{95})/, {
      timeoutMs: BOOT_TIMEOUT_MS,
    });
    fingerprint = ready.match[1]!;
    t.diagnostic(
      `accelerator ${vm!.accelerator.accelerator}; boot to the fingerprint ${(ready.elapsedMs / 1000).toFixed(1)} s`,
    );
    assert.match(
      vm!.console(),
      /network: static network from cmdline: lo up, eth0 10\.0\.2\.15\/24, eth0 up, route 0\.0\.0\.0\/0 via 10\.0\.2\.2/,
    );
    assert.doesNotMatch(vm!.console(), /network: error/);
  });

  test("applies a controlplane config through maintenance mode, pinned to the console's fingerprint", async () => {
    assert.ok(fingerprint, "the node printed its fingerprint");
    const nodes = connectClusterNodes(context);
    clients.push(nodes);
    const config = readFileSync(join(dir, "controlplane.yaml"));
    await retry(() => nodes.applyConfigInsecure(endpoint, { fingerprint, config }), 60_000);
  });

  test("mutual TLS through the forwarded port: Version answers with the config's hostname", async (t) => {
    const version = new VersionServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(version);
    const reply = await retry(async () => {
      const r = await unary<{
        messages: Array<{ metadata?: { hostname: string }; platform?: { name: string } }>;
      }>(version, "version", {});
      if (r.messages[0]?.metadata?.hostname !== HOSTNAME)
        throw new Error(`hostname ${r.messages[0]?.metadata?.hostname}`);
      return r;
    }, 60_000);
    assert.equal(reply.messages[0]?.platform?.name, "metal");
    t.diagnostic(
      `mTLS Version answered ${((Date.now() - vm!.startedAt) / 1000).toFixed(1)} s after QEMU started`,
    );
  });

  test("KernelParamStatus shows the KSPP hardening and the module lock, read back from the kernel", async () => {
    const resources = new ResourceServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(resources);
    const get = async (id: string) => {
      const reply = await unary<{ messages: Array<{ resource?: { spec?: { yaml: Uint8Array } } }> }>(
        resources,
        "get",
        { namespace: "", type: "kernelparamstatus", id },
      );
      const yaml = reply.messages[0]?.resource?.spec?.yaml;
      return parse(Buffer.from(yaml ?? []).toString("utf8")) as {
        current: string;
        unsupportedReason: string;
      };
    };
    const kptr = await retry(() => get("kernel.kptr_restrict"), 30_000);
    assert.equal(kptr.current, "2");
    const locked = await retry(async () => {
      const spec = await get("kernel.modules_disabled");
      if (spec.current !== "1") throw new Error(`kernel.modules_disabled is ${spec.current}`);
      return spec;
    }, 30_000);
    assert.equal(locked.unsupportedReason, "");
    const cmdline = await retry(async () => {
      const reply = await unary<{ messages: Array<{ resource?: { spec?: { yaml: Uint8Array } } }> }>(
        resources,
        "get",
        { namespace: "", type: "kernelcmdlinestatus", id: "slab_nomerge" },
      );
      return parse(Buffer.from(reply.messages[0]?.resource?.spec?.yaml ?? []).toString("utf8")) as {
        present: boolean;
      };
    }, 30_000);
    assert.equal(cmdline.present, true);
  });

  test("Memory reports what the node uses at 512 MiB", async (t) => {
    const machine = new MachineServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(machine);
    const reply = await retry(
      () =>
        unary<{ messages: Array<{ meminfo?: { memTotal: bigint; memAvailable: bigint } }> }>(
          machine,
          "memory",
          {},
        ),
      30_000,
    );
    const info = reply.messages[0]?.meminfo;
    assert.ok(info && info.memTotal > 0n);
    const mib = (bytes: bigint) => `${(Number(bytes) / 1048576).toFixed(0)} MiB`;
    t.diagnostic(
      `memory at ${MEMORY_MIB} MiB: total ${mib(info.memTotal)}, in use ${mib(info.memTotal - info.memAvailable)}, available ${mib(info.memAvailable)}`,
    );
  });

  test("Shutdown through the API powers the VM off: QEMU exits by itself within 60 s", async (t) => {
    const machine = new MachineServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(machine);
    const asked = Date.now();
    // The reply may be lost with the machine: what counts is QEMU exiting.
    await unary(machine, "shutdown", { force: true }, 20_000).catch(() => undefined);
    const code = await Promise.race([
      vm!.exited,
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 60_000).unref()),
    ]);
    assert.notEqual(code, "timeout", `QEMU still runs 60 s after Shutdown:\n${vm!.console().slice(-2000)}`);
    assert.equal(code, 0);
    t.diagnostic(`QEMU exited ${((Date.now() - asked) / 1000).toFixed(1)} s after Shutdown`);
  });
});
