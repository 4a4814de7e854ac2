import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { after, afterEach, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { status } from "@grpc/grpc-js";
import { MachineServiceService, RebootRequest } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionRequest, VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import { generateConfigs } from "../../machinery/config/generate-config.ts";
import { serializeConfig } from "../../machinery/config/index.ts";
import { certificateFingerprint } from "../../machinery/pki/certificate-fingerprint.ts";
import { generateSecretsBundle, issueCertificate, type SecretsBundle } from "../../machinery/pki/index.ts";
import type { RequestCertificateOptions } from "../../machinery/trustd/index.ts";
import { callApid, fetchServedCertificate, pinnedCredentials } from "./apid-test-client.ts";
import { channelCredentials } from "./edge-test-fixture.ts";
import { type StandInMachined, startStandInMachined } from "./machined-stand-in.ts";
import { runApid } from "./run-apid.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const DAY_MS = 24 * 60 * 60 * 1000;

/** Log lines, parsed, and a way to wait for one. */
function logLines(stream: NodeJS.ReadableStream) {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: stream }).on("line", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const waitFor = async (
    match: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = lines.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`log line not seen; got:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { lines, waitFor };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function clusterConfigs(): Promise<{ secrets: SecretsBundle; controlplane: string; worker: string }> {
  const secrets = await generateSecretsBundle();
  const configs = generateConfigs({ clusterName: "test", endpoint: "https://10.5.0.2:6443", secrets });
  return {
    secrets,
    controlplane: serializeConfig(configs.controlplane),
    worker: serializeConfig(configs.worker),
  };
}

async function clientOf(secrets: SecretsBundle, role: string) {
  const issued = await issueCertificate({
    ca: secrets.certs.os,
    commonName: role,
    organizations: [role],
    usage: "client",
    ttlMs: DAY_MS,
  });
  return channelCredentials(secrets.certs.os.crt, { crt: issued.crt, key: issued.key ?? "" });
}

describe("apid as a process", () => {
  let dir: string;
  let machined: StandInMachined;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-main-"));
    machined = await startStandInMachined(join(dir, "run", "machine.sock"), "proc-node");
  });
  afterEach(() => {
    if (child?.exitCode === null) child.kill("SIGKILL");
    child = undefined;
  });
  after(async () => {
    await machined.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("maintenance mode: logs the fingerprint, serves Version pinned to it, exits 0 on SIGTERM", async () => {
    child = spawn(process.execPath, [MAIN, "--state-dir", dir, "--listen", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const log = logLines(child.stdout!);
    const listening = await log.waitFor((line) => line.msg === "apid listening");
    const address = String(listening.address);
    const announced = await log.waitFor((line) => String(line.msg).startsWith("maintenance mode:"));
    const fingerprint = /SHA256 ([0-9A-F:]+)$/.exec(String(announced.msg))?.[1];

    const served = await fetchServedCertificate(address);
    assert.equal(fingerprint, certificateFingerprint(served));
    const outcome = await callApid(address, pinnedCredentials(served), VersionServiceService.version, {
      request: VersionRequest.create(),
    });
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    assert.equal(outcome.messages[0]?.messages[0]?.metadata?.hostname, "proc-node");

    const exited = exitOf(child);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  test("a control-plane config: apid issues its own certificates from the OS CA and enforces roles", async () => {
    const { secrets, controlplane } = await clusterConfigs();
    const config = join(dir, "controlplane.yaml");
    await writeFile(config, controlplane);
    child = spawn(
      process.execPath,
      [MAIN, "--state-dir", dir, "--config", config, "--listen", "127.0.0.1:0"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const log = logLines(child.stdout!);
    const address = String((await log.waitFor((line) => line.msg === "apid listening")).address);

    const version = await callApid(
      address,
      await clientOf(secrets, "os:reader"),
      VersionServiceService.version,
      {
        request: VersionRequest.create(),
      },
    );
    assert.ok(version.ok, version.ok ? "" : version.error.message);
    const reboot = await callApid(
      address,
      await clientOf(secrets, "os:reader"),
      MachineServiceService.reboot,
      {
        request: RebootRequest.create(),
      },
    );
    assert.equal(!reboot.ok && reboot.error.code, status.PERMISSION_DENIED);

    const exited = exitOf(child);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });
});

describe("runApid", () => {
  let dir: string;
  let machined: StandInMachined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-run-"));
    machined = await startStandInMachined(join(dir, "run", "machine.sock"), "worker-1");
  });
  after(async () => {
    await machined.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a worker serves with the certificate trustd issues for the control-plane endpoint's host", async () => {
    const { secrets, worker } = await clusterConfigs();
    const config = join(dir, "worker.yaml");
    await writeFile(config, worker);
    const asked: RequestCertificateOptions[] = [];
    const out = new PassThrough();
    const log = logLines(out);
    const controller = new AbortController();
    const running = runApid({
      argv: ["--state-dir", dir, "--config", config, "--listen", "127.0.0.1:0"],
      out,
      signal: controller.signal,
      addresses: ["127.0.0.1"],
      requestCertificate: async (options) => {
        asked.push(options);
        const issued = await issueCertificate({
          ca: secrets.certs.os,
          commonName: "worker-1",
          usage: "server",
          ipAddresses: options.ips ?? [],
          dnsNames: options.hostnames ?? [],
          ttlMs: DAY_MS,
        });
        return { crt: issued.crt, key: issued.key ?? "", ca: secrets.certs.os.crt };
      },
    });
    const address = String((await log.waitFor((line) => line.msg === "apid listening")).address);
    assert.deepEqual(asked[0]?.endpoints, ["10.5.0.2"]);
    assert.equal(asked[0]?.token, secrets.trustd.token);
    assert.ok(asked[0]?.ips?.includes("127.0.0.1"));
    const version = await callApid(
      address,
      await clientOf(secrets, "os:reader"),
      VersionServiceService.version,
      {
        request: VersionRequest.create(),
      },
    );
    assert.ok(version.ok, version.ok ? "" : version.error.message);
    controller.abort();
    assert.equal(await running, 0);
  });

  test("without --state-dir it exits 1 and logs the usage as the hint", async () => {
    const out = new PassThrough();
    const log = logLines(out);
    const code = await runApid({ argv: [], out, signal: new AbortController().signal });
    assert.equal(code, 1);
    const line = await log.waitFor((entry) => entry.level === "error");
    assert.equal(line.msg, "Invalid arguments: --state-dir is required");
    assert.match(String(line.hint), /--state-dir DIR/);
  });
});
