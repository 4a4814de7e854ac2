/**
 * `stelectl support` end to end against a fake apid: the real CLI, real TLS and gRPC, canned node
 * answers. Three nodes: one healthy whose config holds every kind of secret, one whose config
 * does not parse, and one that answers nothing.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import type { Metadata } from "../../machinery/api/common/v1alpha1/common.ts";
import type { Resource } from "../../machinery/api/resource/v1alpha1/resource.ts";
import {
  controlPlaneYaml,
  loadTestPki,
  type TestPki,
} from "../../machinery/config/testdata/config-fixtures.ts";
import {
  type ClientTestPki,
  type CliRun,
  type ConfigDir,
  type FakeApid,
  generateClientTestPki,
  makeConfigDir,
  runStelectl,
  startFakeApid,
} from "../client/fake-apid-fixture.ts";

const HEALTHY = "node-a";
const BAD_CONFIG = "node-b";
const DOWN = "node-c";

const nodeOf = (call: { metadata: { get(key: string): unknown[] } }) =>
  call.metadata.get("x-stele-node")[0]?.toString() ?? "";

/** The reply metadata of a node: apid tags a node it could not reach with the error. */
function tag(node: string): Metadata {
  return node === DOWN
    ? {
        hostname: node,
        error: {
          code: "ERROR_CODE_UNAVAILABLE",
          message: `Cannot forward to node ${node}: connection refused`,
          hint: "Check that the node is up",
          details: [],
        },
      }
    : { hostname: node };
}

function resource(type: string, id: string, spec: unknown): Resource {
  return {
    metadata: {
      namespace: "config",
      type,
      id,
      version: 1n,
      phase: "PHASE_RUNNING",
      owner: "",
      labels: {},
      finalizers: [],
    },
    spec: { yaml: Buffer.from(stringify(spec)) },
  };
}

let testPki: TestPki;
let pki: ClientTestPki;
let apid: FakeApid;
let configs: ConfigDir;
let work: string;
let config: string;
let run: CliRun;
let files: Map<string, string>;

before(async () => {
  testPki = await loadTestPki();
  config = controlPlaneYaml(testPki);
  pki = await generateClientTestPki();
  configs = makeConfigDir();
  work = mkdtempSync(join(tmpdir(), "stele-support-"));
  apid = await startFakeApid(
    {
      version: {
        version: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: tag(nodeOf(call)),
                version: { tag: "v0.1.0", sha: "abc", nodeVersion: "v24", os: "linux", arch: "x64" },
              },
            ],
          }),
      },
      machine: {
        serviceList: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: tag(nodeOf(call)),
                services: ["apid", "etcd"].map((id) => ({
                  id,
                  state: "SERVICE_STATE_RUNNING" as const,
                  events: [],
                })),
              },
            ],
          }),
        logs: (call) => {
          call.write({ metadata: tag(nodeOf(call)), bytes: Buffer.from(`${call.request.id}: started\n`) });
          call.end();
        },
        events: (call) => {
          // Past events, then the stream stays open as on a real node.
          call.write({
            metadata: tag(nodeOf(call)),
            id: "ev1",
            actorId: "",
            event: { $case: "configLoadError", value: { error: "none" } },
          });
        },
        processes: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: tag(nodeOf(call)),
                processes: [
                  {
                    pid: 1,
                    ppid: 0,
                    state: "S",
                    threads: 1,
                    cpuTime: 0.5,
                    virtualMemory: 1n,
                    residentMemory: 1n,
                    command: "machined",
                    executable: "/sbin/init",
                    args: "/sbin/init",
                  },
                ],
              },
            ],
          }),
        memory: (call, callback) =>
          callback(null, { messages: [{ metadata: tag(nodeOf(call)), meminfo: undefined }] }),
      },
      resource: {
        resourceDefinitions: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: tag(nodeOf(call)),
                definitions: [
                  {
                    type: "Hostnames.net.stele.dev",
                    aliases: [],
                    defaultNamespace: "network",
                    sensitive: false,
                    printColumns: [],
                  },
                  {
                    type: "OSRootSecrets.secrets.stele.dev",
                    aliases: [],
                    defaultNamespace: "secrets",
                    sensitive: true,
                    printColumns: [],
                  },
                ],
              },
            ],
          }),
        list: (call) => {
          const node = nodeOf(call);
          const spec =
            call.request.type === "OSRootSecrets.secrets.stele.dev"
              ? { key: testPki.osCA.key }
              : { hostname: node };
          call.write({ metadata: tag(node), resource: resource(call.request.type, "one", spec) });
          call.end();
        },
        get: (call, callback) => {
          const node = nodeOf(call);
          const yaml = node === BAD_CONFIG ? `${config}\nnot: [valid` : config;
          callback(null, {
            messages: [
              { metadata: tag(node), resource: resource(call.request.type, call.request.id, { yaml }) },
            ],
          });
        },
      },
    },
    { pki },
  );
  const clientConfig = configs.write("config", {
    endpoints: [apid.address],
    nodes: [HEALTHY, BAD_CONFIG, DOWN],
    ca: pki.ca.crt,
    crt: pki.admin.crt,
    key: pki.admin.key,
  });
  const archive = join(work, "bundle.tar.gz");
  run = await runStelectl(["--stelectlconfig", clientConfig, "support", "--output", archive]);
  const out = join(work, "out");
  mkdirSync(out);
  execFileSync("tar", ["-xzf", archive, "-C", out]);
  files = new Map(walk(out).map((path) => [relative(out, path), readFileSync(path, "utf8")]));
});

after(async () => {
  await apid.close();
  configs.remove();
  rmSync(work, { recursive: true, force: true });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe("stelectl support", () => {
  test("writes the archive with mode 0600 and exits 1 because one node failed entirely", () => {
    assert.equal(run.code, 1, run.stderr);
    assert.equal(statSync(join(work, "bundle.tar.gz")).mode & 0o777, 0o600);
    assert.match(run.stderr, /error: node node-c: nothing could be collected: .*connection refused/);
  });

  test("a healthy node contributes every part", () => {
    const expected = [
      "logs/machined.log",
      "logs/apid.log",
      "logs/etcd.log",
      "resources/Hostnames.net.stele.dev.yaml",
      "events.yaml",
      "processes.txt",
      "memory.txt",
      "version.yaml",
      "machineconfig.yaml",
    ];
    for (const path of expected) assert.ok(files.has(`${HEALTHY}/${path}`), `${HEALTHY}/${path}`);
    assert.equal(files.has(`${HEALTHY}/errors.txt`), false);
    assert.match(files.get(`${HEALTHY}/logs/etcd.log`) ?? "", /etcd: started/);
    assert.match(files.get(`${HEALTHY}/events.yaml`) ?? "", /ev1/);
    assert.match(files.get(`${HEALTHY}/machineconfig.yaml`) ?? "", /key: "?\[redacted\]"?/);
    assert.match(files.get(`${HEALTHY}/machineconfig.yaml`) ?? "", /BEGIN CERTIFICATE/, "certificates stay");
  });

  test("sensitive resource types are left out", () => {
    assert.equal(
      [...files.keys()].some((path) => path.includes("OSRootSecrets")),
      false,
    );
  });

  test("a config that does not parse is left out and named in errors.txt", () => {
    assert.equal(files.has(`${BAD_CONFIG}/machineconfig.yaml`), false);
    assert.match(
      files.get(`${BAD_CONFIG}/errors.txt`) ?? "",
      /^machineconfig\.yaml: left out: .*did not parse/m,
    );
    assert.ok(files.has(`${BAD_CONFIG}/logs/apid.log`));
  });

  test("a node that answers nothing yields only errors.txt naming each failure", () => {
    const own = [...files.keys()].filter((path) => path.startsWith(`${DOWN}/`));
    assert.deepEqual(own, [`${DOWN}/errors.txt`]);
    assert.match(files.get(`${DOWN}/errors.txt`) ?? "", /^version\.yaml: Cannot forward to node node-c/m);
  });

  test("no secret of the config appears anywhere in the archive", () => {
    const secrets = [testPki.secret, testPki.secretbox];
    for (const secret of secrets) assert.equal(secret.length, 44);
    assert.match(config, /PRIVATE KEY/);
    assert.match(config, /[a-z0-9]{6}\.[a-z0-9]{16}/);
    assert.ok(files.size > 10);
    for (const [path, text] of files) {
      assert.doesNotMatch(text, /PRIVATE KEY/, path);
      assert.doesNotMatch(text, /[a-z0-9]{6}\.[a-z0-9]{16}/, path);
      for (const secret of secrets) assert.equal(text.includes(secret), false, `${path} holds a secret`);
    }
  });
});
