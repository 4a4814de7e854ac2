/**
 * Installing Stele the way a real machine is installed, in QEMU under UEFI (OVMF): boot the ISO as a
 * CD-ROM with an empty disk and a disk holding someone's ext4 data → maintenance mode with a DHCP
 * address → an install onto the data disk is refused and leaves it unchanged → an install onto the
 * empty disk partitions and formats it and the node reboots (QEMU exits: -no-reboot) → the VM starts
 * again without the CD-ROM, boots the UKI from the disk's ESP, mounts STATE and EPHEMERAL, and serves
 * mutual TLS with the installed config. Through the API: the root is a read-only squashfs from
 * BOOT-A, STATE and /var are the disk's ext4 partitions, nothing else is writable, module loading is
 * locked. Reboot through the API (QEMU exits; started again, the node comes back configured) and
 * Shutdown (QEMU exits with 0), then the installed BOOT-A is listed from the disk file: no shell.
 * Every QEMU is killed in `after`, even on failure.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ChannelCredentials, Metadata } from "@grpc/grpc-js";
import { parse } from "yaml";
import { mutualTlsCredentials } from "../../src/cli/client/channel-credentials.ts";
import { connectClusterNodes } from "../../src/cli/commands/cluster.ts";
import { type DiskImages, ensureDiskImages } from "../../src/imager/disk/index.ts";
import { ServiceState } from "../../src/machinery/api/machine/v1alpha1/events.ts";
import { LogDriver, MachineServiceClient } from "../../src/machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceClient } from "../../src/machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceClient } from "../../src/machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../src/machinery/api/resource/v1alpha1/resource.ts";
import { type ClientContext, parseClientConfig } from "../../src/machinery/client/client-config.ts";
import {
  freeTcpPort,
  type QemuVm,
  type StartQemuVmOptions,
  startQemuVm,
} from "../../src/provision/qemu/index.ts";
import { guestChannelOptions, retry, unary } from "./vm-grpc.ts";

const REPO = join(import.meta.dirname, "..", "..");
const STELECTL = join(REPO, "bin", "stelectl.js");
const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";
const BOOT_TIMEOUT_MS = 240_000;
const HOSTNAME = "vm-installed-1";
const MEMORY_MIB = 512;
const GIB = 1024 * 1024 * 1024;
/** The guest's address from slirp's DHCP server, which apid's certificate names. */
const GUEST_ADDRESS = "10.0.2.15";
const CHANNEL_OPTIONS = guestChannelOptions(GUEST_ADDRESS);
/** Names that would make a shell: none may exist anywhere in the running system. */
const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "ash",
  "zsh",
  "ksh",
  "csh",
  "tcsh",
  "fish",
  "busybox",
  "toybox",
]);

/** SHA-256 of a (sparse, large) disk file, by `sha256sum`: readFileSync stops at 2 GiB. */
function sha256(file: string): string {
  return execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0]!;
}

async function exitedWithin(vm: QemuVm, ms: number): Promise<number | null | "timeout"> {
  return Promise.race([
    vm.exited,
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms).unref()),
  ]);
}

describe("installing from the ISO onto a disk, then booting the disk (UEFI, QEMU)", {
  timeout: 900_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "vm-install-"));
  const disk = join(dir, "disk.raw");
  const dataDisk = join(dir, "data.raw");
  const vars = join(dir, "OVMF_VARS.fd");
  let images: DiskImages;
  let vm: QemuVm | undefined;
  let port = 0;
  let endpoint = "";
  let context: ClientContext;
  let credentials: ChannelCredentials;
  let fingerprint = "";
  let dataDiskHash = "";
  const clients: Array<{ close(): void }> = [];

  const boot = async (name: string, options: Partial<StartQemuVmOptions>) => {
    await vm?.close();
    vm = await startQemuVm({
      firmware: { code: OVMF_CODE, vars },
      // vda: the empty install target; vdb: a disk holding another system's ext4 file system.
      drives: [{ file: disk }, { file: dataDisk }],
      memoryMiB: MEMORY_MIB,
      hostForwards: [{ hostPort: port, guestPort: 50000 }],
      consoleLog: join(dir, `console-${name}.log`),
      ...options,
    });
    return vm;
  };

  const machine = () => {
    const client = new MachineServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(client);
    return client;
  };

  /** Resolves once mutual TLS Version answers with the installed config's hostname. */
  const configuredVersion = async () => {
    const version = new VersionServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(version);
    return retry(async () => {
      const reply = await unary<{ messages: Array<{ metadata?: { hostname: string } }> }>(
        version,
        "version",
        {},
      );
      if (reply.messages[0]?.metadata?.hostname !== HOSTNAME) {
        throw new Error(`hostname ${reply.messages[0]?.metadata?.hostname}`);
      }
      return reply;
    }, BOOT_TIMEOUT_MS);
  };

  before(async () => {
    images = await ensureDiskImages({ outputDir: join(REPO, "_out", "images") });
    const generated = spawnSync(
      process.execPath,
      [
        STELECTL,
        ...["gen", "config", "vm", `https://${GUEST_ADDRESS}:6443`, "--output-dir", dir],
        ...["--install-disk", "/dev/vda"],
        ...["--config-patch", JSON.stringify({ network: { hostname: HOSTNAME } })],
      ],
      { encoding: "utf8", env: { ...process.env, NODE_NO_WARNINGS: "1" } },
    );
    assert.equal(generated.status, 0, generated.stderr);
    const file = join(dir, "stelectlconfig");
    const config = parseClientConfig(readFileSync(file, "utf8"), { file });
    port = await freeTcpPort();
    endpoint = `127.0.0.1:${port}`;
    context = { ...config.contexts[config.context]!, endpoints: [endpoint], nodes: [endpoint] };
    credentials = mutualTlsCredentials(context);
    copyFileSync(OVMF_VARS, vars);
    writeFileSync(disk, "");
    truncateSync(disk, 4 * GIB);
    writeFileSync(dataDisk, "");
    truncateSync(dataDisk, 2 * GIB);
    execFileSync("mkfs.ext4", ["-q", "-F", "-L", "precious", dataDisk]);
    dataDiskHash = sha256(dataDisk);
    await boot("iso", { cdrom: images.iso });
  });

  after(async () => {
    for (const client of clients) client.close();
    await vm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the ISO boots under UEFI into maintenance mode with a DHCP address", async (t) => {
    const ready = await vm!.waitForConsole(/fingerprint SHA256 ([0-9A-F:]{95})/, {
      timeoutMs: BOOT_TIMEOUT_MS,
    });
    fingerprint = ready.match[1]!;
    t.diagnostic(
      `accelerator ${vm!.accelerator.accelerator}; ISO to the fingerprint ${(ready.elapsedMs / 1000).toFixed(1)} s`,
    );
    await vm!.waitForConsole(/DHCP lease 10\.0\.2\.15\/24/, { timeoutMs: 30_000 });
  });

  test("an install onto a disk holding another file system is refused, naming it, and the disk is unchanged", async () => {
    const nodes = connectClusterNodes(context);
    clients.push(nodes);
    const config = readFileSync(join(dir, "controlplane.yaml"), "utf8").replace(
      /disk: \/dev\/vda/,
      "disk: /dev/vdb",
    );
    assert.match(config, /disk: \/dev\/vdb/);
    // Connection errors (slirp accepts before apid listens) are retried; the refusal ends the loop.
    const deadline = Date.now() + 60_000;
    let refusal: Error | undefined;
    while (refusal === undefined) {
      let accepted = false;
      try {
        await nodes.applyConfigInsecure(endpoint, { fingerprint, config: Buffer.from(config) });
        accepted = true;
      } catch (error) {
        if (/vdb/.test((error as Error).message)) refusal = error as Error;
        else if (Date.now() > deadline) throw error;
        else await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      assert.equal(accepted, false, "the install onto /dev/vdb (holding ext4) was accepted");
    }
    assert.match(refusal.message, /\/dev\/vdb: it holds an ext2\/3\/4 file system/);
    assert.match((refusal as Error & { hint?: string }).hint ?? "", /install\.wipe: true/);
    assert.equal(sha256(dataDisk), dataDiskHash, "the refused disk was not written");
  });

  test("an install onto the empty disk partitions it and reboots (QEMU exits)", async (t) => {
    const nodes = connectClusterNodes(context);
    clients.push(nodes);
    const asked = Date.now();
    await retry(
      () =>
        nodes.applyConfigInsecure(endpoint, {
          fingerprint,
          config: readFileSync(join(dir, "controlplane.yaml")),
        }),
      60_000,
    );
    const code = await exitedWithin(vm!, 180_000);
    assert.notEqual(
      code,
      "timeout",
      `QEMU still runs 180 s after the install:\n${vm!.console().slice(-3000)}`,
    );
    t.diagnostic(`install and reboot took ${((Date.now() - asked) / 1000).toFixed(1)} s`);
    const table = execFileSync("sgdisk", ["-p", disk], { encoding: "utf8" });
    for (const label of ["EFI", "BIOS", "BOOT-A", "BOOT-B", "META", "STATE", "EPHEMERAL"]) {
      assert.match(table, new RegExp(`\\s${label}\\s*$`, "m"), `partition ${label} in:\n${table}`);
    }
    assert.equal(sha256(dataDisk), dataDiskHash, "the other disk was not written");
  });

  test("started without the CD-ROM, the disk boots configured: mutual TLS answers with the config's hostname", async (t) => {
    await boot("disk", {});
    await configuredVersion();
    t.diagnostic(`disk boot to mTLS Version ${((Date.now() - vm!.startedAt) / 1000).toFixed(1)} s`);
    assert.doesNotMatch(vm!.console(), /fingerprint SHA256/, "no maintenance mode after the install");
  });

  test("the root is a read-only squashfs from BOOT-A, STATE and /var are the disk's ext4 partitions", async () => {
    const stats = new StatsServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(stats);
    const reply = await retry(
      () =>
        unary<{
          messages: Array<{
            mounts: Array<{ source: string; target: string; fstype: string; readOnly: boolean }>;
          }>;
        }>(stats, "mounts", {}),
      30_000,
    );
    const mounts = reply.messages[0]?.mounts ?? [];
    const at = (target: string) => mounts.filter((m) => m.target === target).at(-1);
    const listing = mounts
      .map((m) => `${m.source} ${m.target} ${m.fstype}${m.readOnly ? " ro" : ""}`)
      .join("\n");
    const root = at("/");
    assert.ok(root, `/ in:\n${listing}`);
    assert.equal(root.fstype, "squashfs");
    assert.equal(
      root.readOnly,
      true,
      "the root is read-only: nothing outside /var and /system can be written",
    );
    assert.equal(root.source, "/dev/vda3", "BOOT-A is the third partition");
    assert.deepEqual(
      { source: at("/var")?.source, fstype: at("/var")?.fstype, readOnly: at("/var")?.readOnly },
      { source: "/dev/vda7", fstype: "ext4", readOnly: false },
      `EPHEMERAL (the seventh partition) at /var in:\n${listing}`,
    );
    assert.deepEqual(
      { source: at("/system/state")?.source, fstype: at("/system/state")?.fstype },
      { source: "/dev/vda6", fstype: "ext4" },
      `STATE (the sixth partition) at /system/state in:\n${listing}`,
    );
    for (const writable of mounts.filter((m) => !m.readOnly && m.fstype !== "proc" && m.fstype !== "sysfs")) {
      assert.match(
        writable.target,
        /^\/(var|system|run|tmp|dev|sys\/fs\/cgroup)(\/|$)/,
        `a writable mount outside /var, /system, /run, /tmp, /dev and the cgroup tree: ${writable.source} on ${writable.target}`,
      );
    }
  });

  test("module loading is locked: kernel.modules_disabled is 1", async () => {
    const resources = new ResourceServiceClient(endpoint, credentials, CHANNEL_OPTIONS);
    clients.push(resources);
    const spec = await retry(async () => {
      const reply = await unary<{ messages: Array<{ resource?: { spec?: { yaml: Uint8Array } } }> }>(
        resources,
        "get",
        { namespace: "", type: "kernelparamstatus", id: "kernel.modules_disabled" },
      );
      const value = parse(Buffer.from(reply.messages[0]?.resource?.spec?.yaml ?? []).toString("utf8")) as {
        current: string;
      };
      if (value.current !== "1") throw new Error(`kernel.modules_disabled is ${value.current}`);
      return value;
    }, 60_000);
    assert.equal(spec.current, "1");
  });

  test("the console: tty2 shows machined's screen (the dashboard service runs, the display switched)", async () => {
    const services = await retry(async () => {
      const reply = await unary<{ messages: Array<{ services: Array<{ id: string; state: string }> }> }>(
        machine(),
        "serviceList",
        {},
      );
      const dashboard = reply.messages[0]?.services.find((service) => service.id === "dashboard");
      if (dashboard?.state !== ServiceState.SERVICE_STATE_RUNNING)
        throw new Error(`dashboard service: ${JSON.stringify(dashboard)}`);
      return reply.messages[0]!.services;
    }, 60_000);
    assert.ok(services.some((service) => service.id === "apid"));
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = machine().logs(
        { namespace: "", id: "dashboard", driver: LogDriver.LOG_DRIVER_SERVICE, follow: false },
        new Metadata(),
      );
      stream.on("data", (chunk: { bytes: Uint8Array }) => chunks.push(Buffer.from(chunk.bytes)));
      stream.on("error", reject);
      stream.on("end", resolve);
    });
    const log = Buffer.concat(chunks).toString("utf8");
    assert.doesNotMatch(
      log,
      /cannot (switch the display|read|start)/,
      `the dashboard service's log:\n${log}`,
    );
  });

  test("a configured control plane runs in 512 MiB: Memory reports what it uses", async (t) => {
    const reply = await retry(
      () =>
        unary<{ messages: Array<{ meminfo?: { memTotal: bigint; memAvailable: bigint } }> }>(
          machine(),
          "memory",
          {},
        ),
      30_000,
    );
    const info = reply.messages[0]?.meminfo;
    assert.ok(info && info.memTotal > 0n && info.memAvailable > 0n);
    const mib = (bytes: bigint) => `${(Number(bytes) / 1048576).toFixed(0)} MiB`;
    t.diagnostic(
      `memory at ${MEMORY_MIB} MiB: total ${mib(info.memTotal)}, in use ${mib(info.memTotal - info.memAvailable)}, available ${mib(info.memAvailable)}`,
    );
  });

  test("Reboot through the API restarts the machine, which comes back configured from the disk", async () => {
    await unary(machine(), "reboot", {}, 20_000).catch(() => undefined);
    const code = await exitedWithin(vm!, 120_000);
    assert.notEqual(code, "timeout", `QEMU still runs 120 s after Reboot:\n${vm!.console().slice(-2000)}`);
    await boot("reboot", {});
    await configuredVersion();
  });

  test("Shutdown through the API powers the VM off: QEMU exits with 0", async () => {
    await unary(machine(), "shutdown", { force: true }, 20_000).catch(() => undefined);
    const code = await exitedWithin(vm!, 120_000);
    assert.notEqual(code, "timeout", `QEMU still runs 120 s after Shutdown:\n${vm!.console().slice(-2000)}`);
    assert.equal(code, 0);
  });

  test("no shell exists anywhere in the installed system: BOOT-A's squashfs lists none", () => {
    const table = execFileSync("sgdisk", ["-i", "3", disk], { encoding: "utf8" });
    const first = Number(/First sector: (\d+)/.exec(table)?.[1]);
    assert.ok(first > 0, table);
    const listing = execFileSync("unsquashfs", ["-o", String(first * 512), "-lc", disk], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const files = listing.split("\n").filter((line) => line.startsWith("squashfs-root/"));
    assert.ok(
      files.some((f) => f.endsWith("/usr/bin/node")),
      "BOOT-A holds the running system",
    );
    const shells = files.filter((f) => SHELLS.has(f.split("/").at(-1)!));
    assert.deepEqual(shells, []);
  });
});
