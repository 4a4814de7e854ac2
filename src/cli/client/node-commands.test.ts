/**
 * stelectl's node commands end to end against a fake apid: the real CLI program, real TLS 1.3 with
 * certificates made at test start, real gRPC; only the node's answers are canned.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ServerWritableStream } from "@grpc/grpc-js";
import { parseAllDocuments } from "yaml";
import { selfSignedServerIdentity, serverCredentials, toGrpcStatus } from "../../app/apid/index.ts";
import type { LogsRequest, LogsResponse } from "../../machinery/api/machine/v1alpha1/machine.ts";
import type { ListRequest, ListResponse, Resource } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../machinery/errors.ts";
import {
  type ClientTestPki,
  type ConfigDir,
  type FakeApid,
  generateClientTestPki,
  makeConfigDir,
  runStelectl,
  startFakeApid,
} from "./fake-apid-fixture.ts";

const nodeOf = (call: { metadata: { get(key: string): unknown[] } }) =>
  call.metadata.get("x-stele-node")[0]?.toString() ?? "";

const ADDRESS: Resource = {
  metadata: {
    namespace: "network",
    type: "AddressStatuses.net.stele.dev",
    id: "eth0/10.5.0.2/24",
    version: 3n,
    phase: "PHASE_RUNNING",
    owner: "network.AddressStatusController",
    labels: {},
    finalizers: [],
  },
  spec: { yaml: Buffer.from("address: 10.5.0.2/24\nlinkName: eth0\n") },
};

let pki: ClientTestPki;
let apid: FakeApid;
let configs: ConfigDir;
const seenNodes: string[] = [];
const logRequests: LogsRequest[] = [];

before(async () => {
  pki = await generateClientTestPki();
  configs = makeConfigDir();
  apid = await startFakeApid(
    {
      version: {
        version: (call, callback) => {
          const node = nodeOf(call);
          seenNodes.push(node);
          if (node === "10.5.0.9") {
            // apid tags a node it could not forward to with the error, in an otherwise good reply.
            callback(null, {
              messages: [
                {
                  metadata: {
                    hostname: node,
                    error: {
                      code: "ERROR_CODE_UNAVAILABLE",
                      message: "Cannot forward to node 10.5.0.9: connection refused",
                      hint: "Check that the node is up",
                      details: [],
                    },
                  },
                },
              ],
            });
            return;
          }
          if (node === "10.5.0.8") {
            callback(
              toGrpcStatus(
                new SteleError(
                  "permission-denied",
                  "Access denied: Reboot needs role os:admin; you have os:reader",
                  "Use an admin client config",
                ),
              ),
              null,
            );
            return;
          }
          callback(null, {
            messages: [
              {
                metadata: { hostname: node || "self" },
                version: {
                  tag: "v0.1.0",
                  sha: `sha-of-${node || "self"}`,
                  nodeVersion: "v24.0.0",
                  os: "linux",
                  arch: "x64",
                },
                platform: { name: "metal", mode: "PLATFORM_MODE_METAL" },
              },
            ],
          });
        },
      },
      resource: {
        resourceDefinitions: (_call, callback) =>
          callback(null, {
            messages: [
              {
                definitions: [
                  {
                    type: "AddressStatuses.net.stele.dev",
                    aliases: ["addresses", "address"],
                    defaultNamespace: "network",
                    sensitive: false,
                    printColumns: [{ name: "Address", jsonPath: "{.address}" }],
                  },
                ],
              },
            ],
          }),
        list: (call: ServerWritableStream<ListRequest, ListResponse>) => {
          const node = nodeOf(call);
          if (call.request.type === "AddressStatuses.net.stele.dev" && call.request.namespace === "network")
            call.write({ metadata: { hostname: node }, resource: ADDRESS });
          call.end();
        },
        watch: (call) => {
          const node = nodeOf(call);
          call.write({ metadata: { hostname: node }, eventType: "EVENT_TYPE_CREATED", resource: ADDRESS });
          call.write({ metadata: { hostname: node }, eventType: "EVENT_TYPE_BOOTSTRAPPED" });
          call.write({ metadata: { hostname: node }, eventType: "EVENT_TYPE_DESTROYED", resource: ADDRESS });
          call.end();
        },
        get: (call, callback) => {
          callback(null, { messages: [{ metadata: { hostname: nodeOf(call) }, resource: ADDRESS }] });
        },
      },
      machine: {
        logs: (call: ServerWritableStream<LogsRequest, LogsResponse>) => {
          logRequests.push(call.request);
          const node = nodeOf(call);
          const lines = ["kubelet: starting\n", "kubelet: ready\n", "kubelet: pod synced\n"];
          let i = 0;
          // A followed log arrives over time; the server ends it, as when the node shuts down.
          const timer = setInterval(() => {
            const line = lines[i++];
            if (line === undefined) {
              clearInterval(timer);
              call.end();
              return;
            }
            call.write({ metadata: { hostname: node }, bytes: Buffer.from(line) });
          }, 5);
        },
        serviceList: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: { hostname: nodeOf(call) },
                services: [
                  {
                    id: "apid",
                    state: "SERVICE_STATE_RUNNING",
                    events: [{ state: "SERVICE_STATE_RUNNING", message: "Health check successful" }],
                    health: { unknown: false, healthy: true, lastMessage: "" },
                  },
                ],
              },
            ],
          }),
        processes: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: { hostname: nodeOf(call) },
                processes: [
                  {
                    pid: 1,
                    ppid: 0,
                    state: "S",
                    threads: 4,
                    cpuTime: 1.5,
                    virtualMemory: 200n * 1024n * 1024n,
                    residentMemory: 50n * 1024n * 1024n,
                    command: "machined",
                    executable: "/sbin/init",
                    args: "/sbin/init",
                  },
                ],
              },
            ],
          }),
        memory: (call, callback) => {
          const mib = (n: number) => BigInt(n) * 1024n * 1024n;
          callback(null, {
            messages: [
              {
                metadata: { hostname: nodeOf(call) },
                meminfo: {
                  ...Object.fromEntries(
                    [
                      "memTotal",
                      "memFree",
                      "memAvailable",
                      "buffers",
                      "cached",
                      "swapCached",
                      "active",
                      "inactive",
                      "swapTotal",
                      "swapFree",
                      "dirty",
                      "writeback",
                      "anonPages",
                      "mapped",
                      "shmem",
                      "slab",
                      "sReclaimable",
                      "sUnreclaim",
                      "kernelStack",
                      "pageTables",
                      "commitLimit",
                      "committedAs",
                      "hugePagesTotal",
                      "hugePagesFree",
                      "hugePageSize",
                    ].map((field) => [field, 0n]),
                  ),
                  memTotal: mib(4096),
                  memFree: mib(1024),
                  buffers: mib(100),
                  cached: mib(900),
                  shmem: mib(10),
                  memAvailable: mib(2000),
                } as never,
              },
            ],
          });
        },
        list: (call) => {
          const node = nodeOf(call);
          call.write({
            metadata: { hostname: node },
            name: "/etc/hosts",
            relativeName: "hosts",
            size: 12n,
            mode: 0o644,
            type: "FILE_TYPE_REGULAR",
            link: "",
            uid: 0,
            gid: 0,
            error: "",
          });
          call.end();
        },
        read: (call) => {
          call.write({ metadata: { hostname: nodeOf(call) }, bytes: Buffer.from("127.0.0.1 localhost\n") });
          call.end();
        },
        shutdown: (call, callback) =>
          callback(null, {
            messages: [{ metadata: { hostname: nodeOf(call) }, actorId: `actor-${nodeOf(call)}` }],
          }),
        reboot: (_call, callback) => {
          callback(
            toGrpcStatus(
              new SteleError(
                "permission-denied",
                "Access denied: Reboot needs role os:admin or os:operator; you have os:reader",
              ),
            ),
            null,
          );
        },
      },
    },
    { pki },
  );
});

after(async () => {
  await apid?.close();
  configs?.remove();
});

function adminConfig(extra: { nodes?: string[]; endpoints?: string[] } = {}): string {
  return configs.write(`admin-${Math.random()}`, {
    endpoints: [apid.address],
    ca: pki.ca.crt,
    crt: pki.admin.crt,
    key: pki.admin.key,
    ...extra,
  });
}

describe("version", () => {
  test("tags every node's reply with its node, and asks each through x-stele-node", async () => {
    seenNodes.length = 0;
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "10.5.0.2,10.5.0.3", "version"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /NODE:\s+10\.5\.0\.2\n\tTag:\s+v0\.1\.0\n\tSHA:\s+sha-of-10\.5\.0\.2/);
    assert.match(run.stdout, /NODE:\s+10\.5\.0\.3\n\tTag:\s+v0\.1\.0\n\tSHA:\s+sha-of-10\.5\.0\.3/);
    assert.deepEqual([...seenNodes].sort(), ["10.5.0.2", "10.5.0.3"]);
  });

  test("dials the first reachable endpoint of several", async () => {
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(),
      "-e",
      `127.0.0.1:1,${apid.address}`,
      "-n",
      "n1",
      "version",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /NODE:\s+n1\n/);
  });

  test("uses the context's nodes when --nodes is absent", async () => {
    seenNodes.length = 0;
    const run = await runStelectl(["--stelectlconfig", adminConfig({ nodes: ["cp-1"] }), "version"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /NODE:\s+cp-1\n/);
    assert.deepEqual(seenNodes, ["cp-1"]);
  });

  test("without nodes asks the endpoint itself, with no x-stele-node", async () => {
    seenNodes.length = 0;
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "version"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(seenNodes, [""]);
    assert.match(run.stdout, new RegExp(`NODE:\\s+${apid.address.replaceAll(".", "\\.")}\\n`));
  });

  test("--client prints the client only and dials nothing", async () => {
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig({ endpoints: ["127.0.0.1:1"] }),
      "version",
      "--client",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Client:\n\tTag:\s+v\d/);
    assert.doesNotMatch(run.stdout, /Server:/);
  });
});

describe("fan-out", () => {
  test("one failing node prints its error tagged with the node, the others still print, exit code 1", async () => {
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(),
      "-n",
      "10.5.0.2,10.5.0.9,10.5.0.3",
      "version",
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /NODE:\s+10\.5\.0\.2\n/);
    assert.match(run.stdout, /NODE:\s+10\.5\.0\.3\n/);
    assert.doesNotMatch(run.stdout, /10\.5\.0\.9/);
    assert.equal(
      run.stderr,
      "error: node 10.5.0.9: Cannot forward to node 10.5.0.9: connection refused\nhint: Check that the node is up\n",
    );
  });
});

describe("get", () => {
  test("-o table resolves an alias and prints NODE, the standard columns and the type's own", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1,n2", "get", "addresses"]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.deepEqual(lines[0]?.split(/\s{2,}/), ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", "ADDRESS"]);
    assert.deepEqual(lines[1]?.split(/\s{2,}/), [
      "n1",
      "network",
      "AddressStatuses.net.stele.dev",
      "eth0/10.5.0.2/24",
      "3",
      "10.5.0.2/24",
    ]);
    assert.equal(lines[2]?.split(/\s{2,}/)[0], "n2");
    assert.equal(lines.length, 3);
  });

  test("-o yaml prints one document per resource with its node", async () => {
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(),
      "-n",
      "n1,n2",
      "get",
      "address",
      "-o",
      "yaml",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const documents = parseAllDocuments(run.stdout).map(
      (d) => d.toJS() as { node: string; metadata: { id: string }; spec: { address: string } },
    );
    assert.deepEqual(
      documents.map((d) => [d.node, d.metadata.id, d.spec.address]),
      [
        ["n1", "eth0/10.5.0.2/24", "10.5.0.2/24"],
        ["n2", "eth0/10.5.0.2/24", "10.5.0.2/24"],
      ],
    );
  });

  test("-o json prints one object per line with node, metadata and spec", async () => {
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(),
      "-n",
      "n1",
      "get",
      "AddressStatuses.net.stele.dev",
      "eth0/10.5.0.2/24",
      "-o",
      "json",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const objects = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(objects, [
      {
        node: "n1",
        metadata: {
          namespace: "network",
          type: "AddressStatuses.net.stele.dev",
          id: "eth0/10.5.0.2/24",
          version: 3,
          owner: "network.AddressStatusController",
          phase: "running",
        },
        spec: { address: "10.5.0.2/24", linkName: "eth0" },
      },
    ]);
  });

  test("an unknown type is refused with the types the node knows", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "get", "nosuch"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: Unknown resource type: "nosuch"\nhint: .*AddressStatuses\.net\.stele\.dev\|addresses\|address/,
    );
  });
});

describe("other node commands", () => {
  test("get -w prints each change with its mark and node, until the stream ends", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1", "get", "addresses", "-w"]);
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => line.split("\t").slice(0, 3));
    assert.deepEqual(rows, [
      ["EVENT", "NODE", "NAMESPACE"],
      ["+", "n1", "network"],
      ["-", "n1", "network"],
    ]);
  });

  test("services lists each node's services with state and health", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1,n2", "services"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout
        .trimEnd()
        .split("\n")
        .map((line) => line.split(/\s{3,}/)),
      [
        ["NODE", "SERVICE", "STATE", "HEALTH", "LAST EVENT"],
        ["n1", "apid", "running", "ok", "Health check successful"],
        ["n2", "apid", "running", "ok", "Health check successful"],
      ],
    );
  });

  test("processes and memory print tables tagged with the node", async () => {
    const ps = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1", "ps"]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^NODE\s+PID\s+STATE.*\nn1\s+1\s+S\s+4\s+1\.50\s+200M\s+50M\s+\/sbin\/init\n$/);
    const mem = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1", "mem"]);
    assert.equal(mem.code, 0, mem.stderr);
    assert.deepEqual(mem.stdout.trimEnd().split("\n")[1]?.split(/\s+/), [
      "n1",
      "4096",
      "2072",
      "1024",
      "10",
      "1000",
      "2000",
    ]);
  });

  test("ls -l and cat read the node's files", async () => {
    const ls = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1", "ls", "/etc", "-l"]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /\nn1\s+-rw-r--r--\s+12\s+hosts\n$/);
    const cat = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1", "cat", "/etc/hosts"]);
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, "127.0.0.1 localhost\n");
    const two = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1,n2", "cat", "/etc/hosts"]);
    assert.equal(two.code, 1);
    assert.match(two.stderr, /^error: read prints one node's file, not 2/);
  });

  test("shutdown prints each node's actor id", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "n1,n2", "shutdown"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^n1: shutdown started \(actor id actor-n1: .*\nn2: shutdown started \(actor id actor-n2: /,
    );
  });
});

describe("logs", () => {
  test("-f prints every line tagged with its node until the server ends the stream", async () => {
    logRequests.length = 0;
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(),
      "-n",
      "w1",
      "logs",
      "kubelet",
      "-f",
      "--tail",
      "10",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "w1: kubelet: starting\nw1: kubelet: ready\nw1: kubelet: pod synced\n");
    assert.deepEqual(logRequests, [
      { namespace: "", id: "kubelet", driver: "LOG_DRIVER_SERVICE", follow: true, tailLines: 10 },
    ]);
  });
});

describe("errors", () => {
  test("PERMISSION_DENIED passes the server's message through, with the server's hint", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-n", "10.5.0.8", "version"]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      "error: node 10.5.0.8: Access denied: Reboot needs role os:admin; you have os:reader\nhint: Use an admin client config\n",
    );
  });

  test("PERMISSION_DENIED without a server hint tells the user to get a config with that role", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "reboot"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: Access denied: Reboot needs role os:admin or os:operator; you have os:reader\nhint: .*stelectl config new --roles/,
    );
  });

  test("a refused connection names the endpoint and the reason", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-e", "127.0.0.1:1", "version"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: Cannot reach endpoint 127\.0\.0\.1:1: connection refused\nhint: /);
  });

  test("an endpoint without a port is dialled on 50000", async () => {
    const run = await runStelectl(["--stelectlconfig", adminConfig(), "-e", "127.0.0.1", "version"]);
    assert.match(run.stderr, /^error: Cannot reach endpoint 127\.0\.0\.1:50000: /);
  });

  test("an expired client certificate is named before any connection", async () => {
    const config = configs.write("expired", {
      endpoints: ["127.0.0.1:1"],
      ca: pki.ca.crt,
      crt: pki.expired.crt,
      key: pki.expired.key,
    });
    const run = await runStelectl(["--stelectlconfig", config, "version"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: Client certificate of context "test" expired on \d{4}-/);
  });

  test("a client certificate of another cluster is explained, though the node says nothing", async () => {
    const config = configs.write("other", {
      endpoints: [apid.address],
      ca: pki.ca.crt,
      crt: pki.otherCluster.crt,
      key: pki.otherCluster.key,
    });
    const run = await runStelectl(["--stelectlconfig", config, "version"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /refused the client certificate: the client certificate .* is not issued by a CA the node trusts/,
    );
  });

  test("a server certificate not signed by the context's CA says so", async () => {
    const config = configs.write("wrong-ca", {
      endpoints: [apid.address],
      ca: pki.otherCa.crt,
      crt: pki.admin.crt,
      key: pki.admin.key,
    });
    const run = await runStelectl(["--stelectlconfig", config, "version"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: The server certificate of 127\.0\.0\.1:\d+ is not signed by the context's CA: self-signed certificate in certificate chain\n/,
    );
  });

  test("a server certificate that does not name the address dialled says so", async () => {
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(),
      "-e",
      `localhost:${apid.port}`,
      "version",
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: The server certificate of localhost:\d+ does not name the address dialled: /,
    );
  });
});

describe("apply-config --insecure", () => {
  let maintenance: FakeApid;
  let fingerprint: string;
  const applied: string[] = [];

  before(async () => {
    const identity = await selfSignedServerIdentity({ ips: ["127.0.0.1"] });
    fingerprint = identity.fingerprint;
    maintenance = await startFakeApid(
      {
        machine: {
          applyConfiguration: (call, callback) => {
            applied.push(call.request.data.toString());
            callback(null, {
              messages: [
                {
                  metadata: { hostname: "maint" },
                  warnings: [],
                  mode: "APPLY_MODE_REBOOT",
                  modeDetails: "installing",
                  diff: "",
                },
              ],
            });
          },
        },
      },
      {
        pki,
        credentials: serverCredentials({
          ca: [],
          crt: identity.crt,
          key: identity.key,
          requireClientCert: false,
        }),
      },
    );
  });

  after(async () => {
    await maintenance?.close();
  });

  const args = (...more: string[]) => [
    "-n",
    maintenance.address,
    "apply-config",
    "-f",
    configs.writeText("worker.yaml", "version: v1alpha1\n"),
    "--insecure",
    ...more,
  ];

  test("without --cert-fingerprint is refused, and says where to find the fingerprint", async () => {
    const run = await runStelectl(args());
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: Refusing --insecure without --cert-fingerprint.*\nhint: .*console/);
    assert.deepEqual(applied, []);
  });

  test("with the wrong fingerprint is refused and sends nothing", async () => {
    const wrong = "00".repeat(32);
    const run = await runStelectl(args("--cert-fingerprint", wrong));
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: The node at 127\.0\.0\.1:\d+ presented certificate fingerprint [0-9A-F:]+, not the pinned 00:00:/,
    );
    assert.deepEqual(applied, []);
  });

  test("with the right fingerprint (any case, no colons) applies the config", async () => {
    const run = await runStelectl(args("--cert-fingerprint", fingerprint.replaceAll(":", "").toLowerCase()));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /applied the configuration \(mode reboot: installing\)/);
    assert.deepEqual(applied, ["version: v1alpha1\n"]);
  });
});

describe("completion", () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    test(`${shell} script completes every command and its aliases`, async () => {
      const run = await runStelectl(["completion", shell]);
      assert.equal(run.code, 0, run.stderr);
      for (const name of [
        "version",
        "apply-config",
        "get",
        "logs",
        "services",
        "reboot",
        "list",
        "ls",
        "cat",
        "ps",
        "mem",
        "config",
        "completion",
      ])
        assert.match(run.stdout, new RegExp(`\\b${name}\\b`), `${shell}: ${name}`);
      assert.match(run.stdout, /--cert-fingerprint|cert-fingerprint/);
    });
  }
});
