import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { status } from "@grpc/grpc-js";
import { VersionRequest, VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import { REFLECTED_SERVICES } from "./add-reflection.ts";
import { type RunningApid, startApid } from "./apid.ts";
import type { ApidLogger } from "./apid-logger.ts";
import { callApid, fetchServedCertificate, pinnedCredentials } from "./apid-test-client.ts";
import { type EdgePki, generateEdgePki } from "./edge-test-fixture.ts";
import { PLAIN_TYPE, type StandInMachined, startStandInMachined } from "./machined-stand-in.ts";
import { NODE_METADATA_KEY } from "./routing-metadata.ts";

const BUF = fileURLToPath(new URL("../../../node_modules/.bin/buf", import.meta.url));
const quiet: ApidLogger = { info() {}, warn() {}, error() {} };
const LISTED = [
  "stele.machine.v1alpha1.MachineService",
  "stele.machine.v1alpha1.StatsService",
  "stele.machine.v1alpha1.VersionService",
  "stele.resource.v1alpha1.ResourceService",
];

interface BufResult {
  /** buf curl's exit code: < 8 for a usage or connection error, else the gRPC code shifted left by 3. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `buf curl` (async: apid serves it from this very process). */
function bufCurl(args: readonly string[], cacheDir: string): Promise<BufResult> {
  return new Promise((resolve) => {
    execFile(
      BUF,
      ["curl", "--protocol", "grpc", "--reflect", "--timeout", "10s", ...args],
      { encoding: "utf8", timeout: 12_000, env: { ...process.env, BUF_CACHE_DIR: cacheDir, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const listed = (result: BufResult): string[] => result.stdout.split("\n").filter(Boolean).sort();

describe("gRPC reflection on a configured (control-plane) apid, used by buf curl", () => {
  let dir: string;
  let pki: EdgePki;
  let machined: StandInMachined;
  let apid: RunningApid;
  const file = (name: string) => join(dir, name);
  const tls = (who: "admin" | "reader" | "otherCluster") => [
    "--cacert",
    file("ca.pem"),
    "--cert",
    file(`${who}.crt`),
    "--key",
    file(`${who}.key`),
  ];
  const url = () => `https://${apid.address}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-reflection-"));
    pki = await generateEdgePki();
    await writeFile(file("ca.pem"), pki.ca.crt);
    for (const who of ["admin", "reader", "otherCluster"] as const) {
      await writeFile(file(`${who}.crt`), pki[who].crt);
      await writeFile(file(`${who}.key`), pki[who].key, { mode: 0o600 });
    }
    machined = await startStandInMachined(file("machine.sock"), "node-a");
    apid = await startApid({
      listen: "127.0.0.1:0",
      machinedSocket: machined.socket,
      identity: { ca: pki.ca.crt, crt: pki.server.crt, key: pki.server.key },
      impersonator: pki.impersonator,
      logger: quiet,
    });
  });
  after(async () => {
    await apid?.close();
    await machined?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("--list-services lists exactly the services apid serves, and asks machined nothing", async () => {
    const result = await bufCurl([...tls("admin"), "--list-services", url()], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(listed(result), LISTED);
    assert.deepEqual([...REFLECTED_SERVICES].sort(), LISTED);
    assert.equal(machined.calls.length, 0);
  });

  test("--list-methods lists every RPC of the served services, from the .proto files", async () => {
    const result = await bufCurl([...tls("admin"), "--list-methods", url()], dir);
    assert.equal(result.code, 0, result.stderr);
    const methods = listed(result);
    for (const method of [
      "stele.machine.v1alpha1.VersionService/Version",
      "stele.machine.v1alpha1.MachineService/ApplyConfiguration",
      "stele.machine.v1alpha1.MachineService/Logs",
      "stele.resource.v1alpha1.ResourceService/Watch",
    ])
      assert.ok(methods.includes(method), `${method} in ${methods.join(", ")}`);
    assert.ok(
      !methods.some((method) => method.startsWith("stele.security.")),
      "trustd's service is not listed",
    );
  });

  test("Version called through reflection returns machined's reply as JSON", async () => {
    const result = await bufCurl(
      [...tls("admin"), "-d", "{}", `${url()}/stele.machine.v1alpha1.VersionService/Version`],
      dir,
    );
    assert.equal(result.code, 0, result.stderr);
    const reply = JSON.parse(result.stdout) as {
      messages: Array<{ metadata: { hostname: string }; version: { tag: string } }>;
    };
    assert.equal(reply.messages[0]?.metadata.hostname, "node-a");
    assert.equal(reply.messages[0]?.version.tag, "v0.1.0");
    assert.equal(machined.calls.at(-1)?.method, VersionServiceService.version.path);
    assert.equal(machined.calls.at(-1)?.roles, "os:admin");
  });

  test("a ResourceService Get through reflection decodes the reply, map-typed fields included", async () => {
    const result = await bufCurl(
      [
        ...tls("admin"),
        "-d",
        JSON.stringify({ namespace: "network", type: PLAIN_TYPE, id: "hostname" }),
        `${url()}/stele.resource.v1alpha1.ResourceService/Get`,
      ],
      dir,
    );
    assert.equal(result.code, 0, result.stderr);
    const reply = JSON.parse(result.stdout) as {
      messages: Array<{ resource: { metadata: { type: string; id: string } } }>;
    };
    assert.deepEqual(reply.messages[0]?.resource.metadata, { type: PLAIN_TYPE, id: "hostname" });
  });

  test("an os:reader may reflect, but what it then calls is still checked against the role table", async () => {
    const list = await bufCurl([...tls("reader"), "--list-services", url()], dir);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(listed(list), LISTED);
    const before = machined.calls.length;
    const reboot = await bufCurl(
      [...tls("reader"), "-d", "{}", `${url()}/stele.machine.v1alpha1.MachineService/Reboot`],
      dir,
    );
    assert.equal(reboot.code, status.PERMISSION_DENIED << 3, reboot.stderr);
    assert.equal(machined.calls.length, before);
  });

  test("reflection naming another node is answered here: it reaches neither machined nor a peer", async () => {
    const before = machined.calls.length;
    // A port nothing listens on: were reflection routed like the API, the hop would fail.
    const result = await bufCurl(
      [...tls("admin"), "--reflect-header", `${NODE_METADATA_KEY}: 127.0.0.1:1`, "--list-services", url()],
      dir,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(listed(result), LISTED);
    assert.equal(machined.calls.length, before);
  });

  test("without a client certificate, or with another cluster's, buf curl fails in the handshake", async () => {
    const bare = await bufCurl(["--cacert", file("ca.pem"), "--list-services", url()], dir);
    assert.notEqual(bare.code, 0);
    assert.equal(bare.stdout, "");
    const foreign = await bufCurl([...tls("otherCluster"), "--list-services", url()], dir);
    assert.notEqual(foreign.code, 0);
    assert.equal(foreign.stdout, "");
  });
});

describe("gRPC reflection in maintenance mode", () => {
  let dir: string;
  let machined: StandInMachined;
  let apid: RunningApid;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-reflection-maint-"));
    machined = await startStandInMachined(join(dir, "machine.sock"), "fresh");
    apid = await startApid({
      listen: "127.0.0.1:0",
      machinedSocket: machined.socket,
      identity: { maintenance: true, ips: ["127.0.0.1"] },
      logger: quiet,
    });
    await writeFile(join(dir, "served.pem"), await fetchServedCertificate(apid.address));
  });
  after(async () => {
    await apid?.close();
    await machined?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a client pinning the served certificate lists the services without a client certificate", async () => {
    const result = await bufCurl(
      ["--cacert", join(dir, "served.pem"), "--list-services", `https://${apid.address}`],
      dir,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(listed(result), LISTED);
  });

  test("methods outside the maintenance allow-list stay refused when called through reflection", async () => {
    const result = await bufCurl(
      [
        "--cacert",
        join(dir, "served.pem"),
        "-d",
        "{}",
        `https://${apid.address}/stele.machine.v1alpha1.MachineService/Reboot`,
      ],
      dir,
    );
    assert.equal(result.code, status.PERMISSION_DENIED << 3, result.stderr);
    assert.equal(machined.calls.length, 0);
  });
});

describe("gRPC reflection when the protos are missing", () => {
  let dir: string;
  let machined: StandInMachined;
  let apid: RunningApid;
  const errors: Array<{ fields: Record<string, unknown>; message: string }> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-reflection-none-"));
    await mkdir(join(dir, "api"));
    machined = await startStandInMachined(join(dir, "machine.sock"), "node-a");
    apid = await startApid({
      listen: "127.0.0.1:0",
      machinedSocket: machined.socket,
      identity: { maintenance: true, ips: ["127.0.0.1"] },
      protoDir: join(dir, "api"),
      logger: { ...quiet, error: (fields, message) => errors.push({ fields, message }) },
    });
  });
  after(async () => {
    await apid?.close();
    await machined?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("apid logs why and with a hint, and still serves the API", async () => {
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? "", /^Cannot serve gRPC reflection: no \.proto files in /);
    assert.match(String(errors[0]?.fields.hint), /api\/ directory/);
    const served = await fetchServedCertificate(apid.address);
    const version = await callApid(apid.address, pinnedCredentials(served), VersionServiceService.version, {
      request: VersionRequest.create(),
    });
    assert.ok(version.ok, version.ok ? "" : version.error.message);
  });

  test("a reflection client is told the service is not there", async () => {
    await writeFile(join(dir, "served.pem"), await fetchServedCertificate(apid.address));
    const result = await bufCurl(
      ["--cacert", join(dir, "served.pem"), "--list-services", `https://${apid.address}`],
      dir,
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /unimplemented/i);
  });
});
