/**
 * End-to-end: real nodes (machined supervising the real apid and trustd) on loopback addresses,
 * driven through the mTLS API as users and operators would: maintenance mode and apply, the RBAC
 * matrix, TLS refusals, the supervisor restarting a killed apid, and a worker joining through trustd.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { type ChannelCredentials, credentials, type ServiceError } from "@grpc/grpc-js";
import { mutualTlsCredentials } from "../../src/cli/client/channel-credentials.ts";
import {
  ApplyMode,
  MachineServiceClient,
  type ServiceListResponse,
} from "../../src/machinery/api/machine/v1alpha1/machine.ts";
import {
  type VersionResponse,
  VersionServiceClient,
} from "../../src/machinery/api/machine/v1alpha1/version.ts";
import {
  type GetResponse,
  ResourceServiceClient,
} from "../../src/machinery/api/resource/v1alpha1/resource.ts";
import { generateConfigs } from "../../src/machinery/config/generate-config.ts";
import { serializeConfig } from "../../src/machinery/config/serialize-config.ts";
import {
  createCertificateAuthority,
  generateSecretsBundle,
  issueCertificate,
  type SecretsBundle,
} from "../../src/machinery/pki/index.ts";
import {
  eventually,
  isAlive,
  killLeftovers,
  type LocalNode,
  servicePid,
  startLocalNode,
} from "./local-node.ts";

const STELECTL = join(import.meta.dirname, "..", "..", "bin", "stelectl.js");
/** A loopback /24 of this run's own, so a leftover from another run cannot answer. */
const NET = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}`;
const CP = `${NET}.2`;
const WORKER = `${NET}.3`;

type Unary<Req, Res> = (
  request: Req,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;
function call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}
/** The gRPC status of a call: 0 when it succeeded. */
async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 0;
  } catch (error) {
    return (error as ServiceError).code;
  }
}
function stelectl(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [STELECTL, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
  });
}

describe("a control plane and a worker, through the mTLS API", () => {
  let dir = "";
  let secrets: SecretsBundle;
  let controlPlane: LocalNode;
  let worker: LocalNode | undefined;
  const credentialsFor = new Map<string, ChannelCredentials>();
  const clients: Array<{ close(): void }> = [];
  const machineFor = (roles: string) => {
    const client = new MachineServiceClient(`${CP}:50000`, credentialsFor.get(roles)!);
    clients.push(client);
    return client;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "stele-node-e2e-"));
    secrets = await generateSecretsBundle();
    const configs = generateConfigs({ clusterName: "e2e", endpoint: `https://${CP}:6443`, secrets });
    writeFileSync(join(dir, "controlplane.yaml"), serializeConfig(configs.controlplane), { mode: 0o600 });
    writeFileSync(join(dir, "worker.yaml"), serializeConfig(configs.worker), { mode: 0o600 });
    for (const roles of ["os:admin", "os:operator", "os:reader", "os:etcd:backup", ""]) {
      const issued = await issueCertificate({
        ca: secrets.certs.os,
        commonName: `e2e-${roles || "none"}`,
        organizations: roles ? [roles] : [],
        usage: "client",
        ttlMs: 3_600_000,
        algorithm: "ed25519",
      });
      credentialsFor.set(
        roles,
        mutualTlsCredentials({ ca: secrets.certs.os.crt, crt: issued.crt, key: issued.key! }),
      );
    }
    controlPlane = startLocalNode({ address: CP, stateDir: join(dir, "cp") });
  });

  after(async () => {
    for (const client of clients) client.close();
    await worker?.stop();
    await controlPlane?.stop();
    killLeftovers(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  test("maintenance mode prints the fingerprint; apply-config --insecure pins it; then only mTLS is served", async () => {
    const [, fingerprint] = await controlPlane.waitForConsole(/fingerprint SHA256 ([0-9A-F:]{95})/);
    const wrong = stelectl(
      dir,
      "apply-config",
      "--insecure",
      "--cert-fingerprint",
      "00".repeat(32),
      "-e",
      CP,
      "-n",
      CP,
      "-f",
      "controlplane.yaml",
    );
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /fingerprint/i);
    const applied = stelectl(
      dir,
      "apply-config",
      "--insecure",
      "--cert-fingerprint",
      fingerprint!,
      "-e",
      CP,
      "-n",
      CP,
      "-f",
      "controlplane.yaml",
    );
    assert.equal(applied.status, 0, applied.stderr);
    await controlPlane.waitForConsole(/apid listening.*"maintenance":false/);
    const version = new VersionServiceClient(`${CP}:50000`, credentialsFor.get("os:reader")!);
    clients.push(version);
    const reply = await eventually(() => versionOf(version));
    assert.equal(reply.messages[0]?.platform?.name, "container");
    const again = stelectl(
      dir,
      "apply-config",
      "--insecure",
      "--cert-fingerprint",
      fingerprint!,
      "-e",
      CP,
      "-n",
      CP,
      "-f",
      "controlplane.yaml",
    );
    assert.equal(again.status, 1, "the maintenance certificate is gone: insecure apply no longer works");
  });

  // A hand-written specification of who may do what, one row per RPC group; 0 = allowed (the call
  // went through authorization, whatever the node answered after that), 7 = PERMISSION_DENIED.
  const ALLOWED = 0;
  const DENIED = 7;
  const groups: Array<[string, (roles: string) => Promise<unknown>, Record<string, number>]> = [
    [
      "read the version",
      (r) =>
        call(((c) => c.version.bind(c))(new VersionServiceClient(`${CP}:50000`, credentialsFor.get(r)!)), {}),
      {
        "os:admin": ALLOWED,
        "os:operator": ALLOWED,
        "os:reader": ALLOWED,
        "os:etcd:backup": ALLOWED,
        "": DENIED,
      },
    ],
    [
      "list services",
      (r) => call(((c) => c.serviceList.bind(c))(machineFor(r)), {}),
      {
        "os:admin": ALLOWED,
        "os:operator": ALLOWED,
        "os:reader": ALLOWED,
        "os:etcd:backup": DENIED,
        "": DENIED,
      },
    ],
    [
      "get a plain resource",
      (r) =>
        call(((c) => c.get.bind(c))(new ResourceServiceClient(`${CP}:50000`, credentialsFor.get(r)!)), {
          namespace: "network",
          type: "hostname",
          id: "hostname",
        }),
      {
        "os:admin": ALLOWED,
        "os:operator": ALLOWED,
        "os:reader": ALLOWED,
        "os:etcd:backup": DENIED,
        "": DENIED,
      },
    ],
    [
      "get the machine config (secret)",
      (r) =>
        call(((c) => c.get.bind(c))(new ResourceServiceClient(`${CP}:50000`, credentialsFor.get(r)!)), {
          namespace: "config",
          type: "machineconfig",
          id: "v1alpha1",
        }),
      {
        "os:admin": ALLOWED,
        "os:operator": DENIED,
        "os:reader": DENIED,
        "os:etcd:backup": DENIED,
        "": DENIED,
      },
    ],
    [
      "stop a service",
      (r) => call(((c) => c.serviceStop.bind(c))(machineFor(r)), { id: "no-such-service" }),
      {
        "os:admin": ALLOWED,
        "os:operator": ALLOWED,
        "os:reader": DENIED,
        "os:etcd:backup": DENIED,
        "": DENIED,
      },
    ],
    [
      "read a file",
      (r) =>
        new Promise((resolve, reject) => {
          const stream = machineFor(r).read({ path: "/var/no-such-file" });
          stream.on("data", () => {});
          stream.on("end", resolve);
          stream.on("error", reject);
        }),
      {
        "os:admin": ALLOWED,
        "os:operator": DENIED,
        "os:reader": DENIED,
        "os:etcd:backup": DENIED,
        "": DENIED,
      },
    ],
    [
      "apply a configuration (dry run)",
      (r) =>
        call(((c) => c.applyConfiguration.bind(c))(machineFor(r)), {
          data: Buffer.from("not: a config"),
          mode: ApplyMode.APPLY_MODE_NO_REBOOT,
          dryRun: true,
        }),
      {
        "os:admin": ALLOWED,
        "os:operator": DENIED,
        "os:reader": DENIED,
        "os:etcd:backup": DENIED,
        "": DENIED,
      },
    ],
  ];
  for (const [group, run, expected] of groups) {
    for (const [roles, outcome] of Object.entries(expected)) {
      test(`${roles || "a certificate with no role"} ${outcome === DENIED ? "may not" : "may"} ${group}`, async () => {
        const code = await statusOf(run(roles));
        if (outcome === DENIED) assert.equal(code, DENIED, `expected PERMISSION_DENIED, got status ${code}`);
        else assert.notEqual(code, DENIED, "authorization refused a call the role allows");
      });
    }
  }

  test("refused at the TLS handshake: no client certificate, another cluster's CA, TLS 1.2; served with a valid one", async () => {
    const other = await createCertificateAuthority({
      commonName: "other",
      algorithm: "ed25519",
      ttlMs: 3_600_000,
    });
    const stranger = await issueCertificate({
      ca: other,
      commonName: "x",
      organizations: ["os:admin"],
      usage: "client",
      ttlMs: 3_600_000,
    });
    const valid = await issueCertificate({
      ca: secrets.certs.os,
      commonName: "ok",
      organizations: ["os:reader"],
      usage: "client",
      ttlMs: 3_600_000,
    });
    const handshake = (options: object) =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({
          host: CP,
          port: 50000,
          ca: secrets.certs.os.crt,
          ALPNProtocols: ["h2"],
          ...options,
        });
        const timer = setTimeout(() => {
          socket.destroy();
          resolve("refused: timeout");
        }, 5_000);
        const settle = (outcome: string) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(outcome);
        };
        // TLS 1.3 client authentication completes after the client's Finished: the server's verdict
        // arrives as an alert or a close, or as the server's HTTP/2 SETTINGS frame when it accepts.
        socket.on("secureConnect", () => socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        socket.on("data", () => settle("served"));
        socket.on("error", (error) => settle(`refused: ${error.message}`));
        socket.on("close", () => settle("refused: closed"));
      });
    assert.equal(
      await handshake({ cert: valid.crt, key: valid.key }),
      "served",
      "the control: a valid client certificate is served",
    );
    assert.match(await handshake({}), /^refused/, "no client certificate");
    assert.match(
      await handshake({ cert: stranger.crt, key: stranger.key }),
      /^refused/,
      "another cluster's CA",
    );
    assert.match(
      await handshake({ cert: valid.crt, key: valid.key, maxVersion: "TLSv1.2" }),
      /^refused.*(protocol|version)/i,
      "TLS 1.2",
    );
  });

  test("apid killed with SIGKILL is restarted by machined, which keeps running", async () => {
    const machinedPid = controlPlane.process.pid!;
    const apidPid = servicePid(controlPlane.stateDir, "apid");
    assert.ok(apidPid, "apid runs as its own process");
    process.kill(apidPid, "SIGKILL");
    const version = new VersionServiceClient(`${CP}:50000`, credentialsFor.get("os:reader")!);
    clients.push(version);
    await eventually(() => versionOf(version), 15_000);
    assert.ok(isAlive(machinedPid), "machined survived");
    const restarted = servicePid(controlPlane.stateDir, "apid");
    assert.ok(restarted && restarted !== apidPid, "a new apid process serves");
    const reader = machineFor("os:reader");
    const services = await new Promise<ServiceListResponse>((resolve, reject) =>
      reader.serviceList({}, (error, response) => (error ? reject(error) : resolve(response))),
    );
    const apid = services.messages[0]?.services.find((service) => service.id === "apid");
    assert.ok(apid, "apid is listed");
  });

  test("invalid config is rejected with its position and the running config is unchanged; no-reboot refuses debug", async () => {
    const before = readFileSync(join(controlPlane.stateDir, "state", "config.yaml"), "utf8");
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      readFileSync(join(dir, "controlplane.yaml"), "utf8").replace("type: controlplane", "type: boss"),
    );
    const admin = join(dir, "admin.stelectlconfig");
    const issued = await issueCertificate({
      ca: secrets.certs.os,
      commonName: "admin",
      organizations: ["os:admin"],
      usage: "client",
      ttlMs: 3_600_000,
      algorithm: "ed25519",
    });
    writeFileSync(
      admin,
      `context: e2e\ncontexts:\n  e2e:\n    endpoints: [${CP}]\n    nodes: [${CP}]\n    ca: |\n${indent(secrets.certs.os.crt)}    crt: |\n${indent(issued.crt)}    key: |\n${indent(issued.key!)}`,
    );
    const rejected = stelectl(
      dir,
      "--stelectlconfig",
      admin,
      "apply-config",
      "-f",
      bad,
      "--mode",
      "no-reboot",
    );
    assert.equal(rejected.status, 1);
    assert.match(rejected.stderr, /MachineConfig type/);
    assert.equal(readFileSync(join(controlPlane.stateDir, "state", "config.yaml"), "utf8"), before);
    const debug = join(dir, "debug.yaml");
    writeFileSync(
      debug,
      `${readFileSync(join(dir, "controlplane.yaml"), "utf8").replace("type: controlplane", "type: controlplane\ndebug: true")}`,
    );
    const refused = stelectl(
      dir,
      "--stelectlconfig",
      admin,
      "apply-config",
      "-f",
      debug,
      "--mode",
      "no-reboot",
    );
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /debug/);
    assert.equal(readFileSync(join(controlPlane.stateDir, "state", "config.yaml"), "utf8"), before);
  });

  test("staged applies at the next reboot; try reverts after its timeout", async () => {
    const admin = join(dir, "admin.stelectlconfig");
    const hostname = () => {
      const result = stelectl(dir, "--stelectlconfig", admin, "get", "hostname", "-o", "json");
      return result.status === 0
        ? (JSON.parse(result.stdout.trim().split("\n")[0]!).spec.hostname as string)
        : undefined;
    };
    const withHostname = (name: string) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        readFileSync(join(dir, "controlplane.yaml"), "utf8").replace(
          "type: controlplane",
          `type: controlplane\nnetwork:\n  hostname: ${name}`,
        ),
      );
      return file;
    };
    const original = await eventually(hostname);

    const staged = stelectl(
      dir,
      "--stelectlconfig",
      admin,
      "apply-config",
      "-f",
      withHostname("staged-host"),
      "--mode",
      "staged",
    );
    assert.equal(staged.status, 0, staged.stderr);
    assert.equal(hostname(), original, "a staged config is not live before the reboot");
    const reboot = stelectl(dir, "--stelectlconfig", admin, "reboot");
    assert.equal(reboot.status, 0, reboot.stderr);
    await eventually(() => (hostname() === "staged-host" ? true : undefined), 30_000);

    const tried = stelectl(
      dir,
      "--stelectlconfig",
      admin,
      "apply-config",
      "-f",
      withHostname("try-host"),
      "--mode",
      "try",
      "--try-timeout",
      "2s",
    );
    assert.equal(tried.status, 0, tried.stderr);
    await eventually(() => (hostname() === "try-host" ? true : undefined), 10_000);
    await eventually(() => (hostname() === "staged-host" ? true : undefined), 15_000);
  });

  test("a worker gets its apid certificate from the control plane's trustd and serves through one hop", async () => {
    worker = startLocalNode({
      address: WORKER,
      stateDir: join(dir, "worker"),
      config: join(dir, "worker.yaml"),
    });
    await worker.waitForConsole(/Got apid's certificate from trustd/);
    const version = new VersionServiceClient(`${CP}:50000`, credentialsFor.get("os:reader")!);
    clients.push(version);
    const { Metadata } = await import("@grpc/grpc-js");
    const metadata = new Metadata();
    metadata.set("x-stele-node", WORKER);
    const reply = await eventually(
      () =>
        new Promise<{ messages: Array<{ metadata?: { hostname: string } }> }>((resolve, reject) =>
          version.version({}, metadata, (error, response) => (error ? reject(error) : resolve(response))),
        ),
    );
    assert.ok(reply.messages[0]?.metadata?.hostname, "the worker answered, tagged with its hostname");
  });

  test("a node that cannot be reached through the hop is named in the error, for that node only", async () => {
    const admin = join(dir, "admin.stelectlconfig");
    const result = stelectl(dir, "--stelectlconfig", admin, "-n", `${CP},${NET}.9`, "version");
    assert.equal(result.status, 1);
    assert.match(
      result.stdout,
      new RegExp(`NODE:\\s+${CP.replaceAll(".", "\\.")}`),
      "the reachable node still answers",
    );
    assert.match(
      result.stderr,
      new RegExp(
        `error: node ${NET.replaceAll(".", "\\.")}\\.9: Cannot reach node ${NET.replaceAll(".", "\\.")}\\.9 from this node`,
      ),
    );
  });

  test("a worker with the wrong join token is refused by trustd and says why", async () => {
    const wrong = join(dir, "wrong-token.yaml");
    writeFileSync(
      wrong,
      readFileSync(join(dir, "worker.yaml"), "utf8").replace(
        /^token: .*$/m,
        "token: abcdef.0123456789abcdef",
      ),
    );
    const intruder = startLocalNode({ address: `${NET}.4`, stateDir: join(dir, "intruder"), config: wrong });
    try {
      await intruder.waitForConsole(/[Jj]oin token refused/);
      assert.doesNotMatch(intruder.console(), /0123456789abcdef/, "the token never appears in logs");
      assert.equal(
        await probe(`${NET}.4`, 50000),
        false,
        "the intruder's apid serves nothing without a certificate",
      );
      // Its own status says why, read on the node itself (machined's socket: no apid is serving).
      const local = new ResourceServiceClient(
        `unix:${join(intruder.stateDir, "run", "machine.sock")}`,
        credentials.createInsecure(),
      );
      clients.push(local);
      const status = await eventually(async () => {
        const reply = await new Promise<GetResponse>((resolve, reject) =>
          local.get(
            { namespace: "", type: "MachineStatuses.runtime.stele.dev", id: "machine" },
            (error, response) => (error ? reject(error) : resolve(response)),
          ),
        );
        const yaml = reply.messages[0]?.resource?.spec?.yaml.toString() ?? "";
        return /Join token refused/.test(yaml) ? yaml : undefined;
      }, 15_000);
      assert.match(status, /ready: false/);
      assert.match(status, /apid/);
    } finally {
      await intruder.stop();
    }
  });
});

function versionOf(client: VersionServiceClient): Promise<VersionResponse> {
  return new Promise((resolve, reject) =>
    client.version({}, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

function indent(pem: string): string {
  return pem
    .trim()
    .split("\n")
    .map((line) => `      ${line}\n`)
    .join("");
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
