/**
 * NodeEtcd against a real etcd cluster: three members as plain processes of the host's etcd (3.4)
 * on 127.x.y.{2,3,4}, TLS from a generated secrets bundle. Only the launcher differs from a node;
 * the certificates, the start decision (bootstrap, join), the flags and the client are the same code.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { generateConfigs } from "../../../machinery/config/generate-config.ts";
import { type ConfigDocument, parseConfig, serializeConfig } from "../../../machinery/config/index.ts";
import { issueCertificate } from "../../../machinery/pki/issue-certificate.ts";
import { generateSecretsBundle } from "../../../machinery/pki/secrets-bundle.ts";
import { ResourceStore } from "../../../runtime/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { Member } from "../resources/member.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { Supervisor } from "../system/supervisor.ts";
import { ETCD_SERVICE_ID } from "./etcd-constants.ts";
import { ETCD_WAITING_MESSAGE } from "./etcd-start.ts";
import { NodeEtcd } from "./node-etcd.ts";
import { processEtcdLauncher } from "./testing/process-etcd-launcher.ts";

const execFileAsync = promisify(execFile);
const haveEtcd = existsSync("/usr/bin/etcd") && existsSync("/usr/bin/etcdctl");

/** A random 127.x.y.0/24, so that concurrent runs on one host never share a port. */
const prefix = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const root = mkdtempSync(join(tmpdir(), "stele-etcd-real-"));
const secrets = await generateSecretsBundle();

function controlPlaneConfig(endpointHost: string): LoadedConfig {
  const { controlplane } = generateConfigs({
    clusterName: "etcd-real",
    endpoint: `https://${endpointHost}:6443`,
    secrets,
  });
  const documents = controlplane.map((d: ConfigDocument) =>
    d.kind === "ClusterConfig" ? { ...d, etcd: { ...d.etcd, advertisedSubnets: [`${prefix}.0/24`] } } : d,
  );
  const text = serializeConfig(documents);
  return { text, parsed: parseConfig(text, { file: "config.yaml" }), warnings: [] };
}

/** One control plane: its own dirs, resources, supervisor and NodeEtcd, as machined has them. */
class TestNode {
  readonly name: string;
  readonly address: string;
  readonly dir: string;
  readonly store = new ResourceStore();
  readonly supervisor = new Supervisor();
  readonly logs: string[] = [];
  readonly etcd: NodeEtcd;

  constructor(index: number, config: LoadedConfig) {
    this.name = `cp-${index}`;
    this.address = `${prefix}.${index + 1}`;
    this.dir = mkdtempSync(join(root, `${this.name}-`));
    for (const type of [Hostname, NodeAddresses, Member]) this.store.registerType(type);
    this.store.create(Hostname, HOSTNAME_ID, { owner: null, spec: { hostname: this.name, domainname: "" } });
    this.store.create(NodeAddresses, NODE_ADDRESSES_ID, {
      owner: null,
      spec: { addresses: [`${this.address}/24`, "127.0.0.1/8"] },
    });
    const stateDir = join(this.dir, "system");
    const varDir = join(this.dir, "var");
    this.etcd = new NodeEtcd({
      stateDir,
      varDir,
      config: () => config,
      store: () => this.store,
      supervisor: () => this.supervisor,
      log: (message) => this.logs.push(message),
      launcher: processEtcdLauncher({
        dataDir: join(varDir, "lib/etcd"),
        pkiDir: join(stateDir, "secrets/etcd"),
        recoverDir: join(varDir, "lib/etcd-recover"),
      }),
      retryMs: 200,
    });
    this.supervisor.load([this.etcd.service]);
  }

  get clientUrl(): string {
    return `https://${this.address}:2379`;
  }

  async start(): Promise<void> {
    await this.supervisor.start(ETCD_SERVICE_ID);
  }

  waitHealthy(timeoutMs = 20_000): Promise<void> {
    return this.supervisor.waitFor(
      ETCD_SERVICE_ID,
      (s) => s.state === "running" && s.healthy === true,
      AbortSignal.timeout(timeoutMs),
    );
  }

  async close(): Promise<void> {
    await this.supervisor.close();
    this.etcd.close();
  }
}

/** Waits until `condition` holds, polling; fails with `what` after the timeout. Never a fixed sleep. */
async function eventually(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("NodeEtcd with a real three-member etcd cluster", {
  skip: haveEtcd ? false : "the host has no /usr/bin/etcd",
}, () => {
  const config = controlPlaneConfig(`${prefix}.2`);
  const nodes = [1, 2, 3].map((i) => new TestNode(i, config));
  const [cp1, cp2, cp3] = nodes as [TestNode, TestNode, TestNode];
  /** Nodes made by single tests, closed at the end too. */
  const others: TestNode[] = [];
  let etcdctlTls: string[] = [];

  before(async () => {
    const client = await issueCertificate({
      ca: secrets.certs.etcd,
      commonName: "etcdctl",
      usage: "client",
      ttlMs: 3_600_000,
    });
    const files = {
      ca: join(root, "ca.crt"),
      cert: join(root, "etcdctl.crt"),
      key: join(root, "etcdctl.key"),
    };
    writeFileSync(files.ca, secrets.certs.etcd.crt);
    writeFileSync(files.cert, client.crt);
    writeFileSync(files.key, client.key ?? "", { mode: 0o600 });
    etcdctlTls = [`--cacert=${files.ca}`, `--cert=${files.cert}`, `--key=${files.key}`];
  });

  after(async () => {
    await Promise.all([...nodes, ...others].map((node) => node.close()));
    rmSync(root, { recursive: true, force: true });
  });

  async function etcdctl(endpoint: string, ...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(
      "/usr/bin/etcdctl",
      [`--endpoints=${endpoint}`, ...etcdctlTls, ...args],
      {
        env: { ...process.env, ETCDCTL_API: "3" },
      },
    );
    return stdout;
  }

  test("control planes without data wait and say how to bootstrap", async () => {
    await Promise.all(nodes.map((node) => node.start()));
    await eventually("every node to log the waiting message", () =>
      nodes.every((node) => node.logs.includes(ETCD_WAITING_MESSAGE)),
    );
    for (const node of nodes) assert.equal(node.supervisor.list()[0]?.state, "preparing");
    await assert.rejects(cp1.etcd.members({ local: true }), /etcd is not running on this node/);
  });

  test("bootstrap starts a new cluster on one node and the others join by themselves", async () => {
    await cp1.etcd.bootstrap({ recover: false, skipHashCheck: false });
    await Promise.all(nodes.map((node) => node.waitHealthy()));
    for (const node of nodes) {
      await eventually(`${node.name} to see three started members`, async () => {
        const members = await node.etcd.members({ local: false });
        // Joined as learners, then promoted by their health checks to voting members.
        return members.length === 3 && members.every((m) => m.name !== "" && !m.isLearner);
      });
      const members = await node.etcd.members({ local: false });
      assert.deepEqual(members.map((m) => m.name).sort(), ["cp-1", "cp-2", "cp-3"]);
      assert.deepEqual(members.map((m) => m.clientUrls).sort(), nodes.map((n) => [n.clientUrl]).sort());
    }
    assert.ok(cp2.logs.some((line) => line.startsWith(`Joining the etcd cluster through ${cp1.clientUrl}`)));
  });

  test("a second bootstrap is refused on a member and on a node whose peer runs etcd", async () => {
    await assert.rejects(cp2.etcd.bootstrap({ recover: false, skipHashCheck: false }), {
      code: "failed-precondition",
      message: /etcd is already bootstrapped on this node/,
    });
    const newcomer = new TestNode(4, config);
    others.push(newcomer);
    await assert.rejects(newcomer.etcd.bootstrap({ recover: false, skipHashCheck: false }), {
      code: "failed-precondition",
      message: new RegExp(
        `etcd already runs on ${cp1.clientUrl.replaceAll(".", "\\.")}: this node joins it by itself`,
      ),
    });
  });

  test("the certificates machined wrote are private", () => {
    const pki = join(cp1.dir, "system/secrets/etcd");
    assert.equal(statSync(pki).mode & 0o777, 0o700);
    for (const file of ["server.key", "peer.key", "client.key", "server.crt", "ca.crt"]) {
      assert.equal(statSync(join(pki, file)).mode & 0o777, 0o600, file);
    }
  });

  test("the real etcdctl with a certificate from the etcd CA sees the same members", async () => {
    const listed = JSON.parse(await etcdctl(cp3.clientUrl, "member", "list", "-w", "json")) as {
      members: { ID: number | string; name: string }[];
    };
    const ours = await cp1.etcd.members({ local: false });
    assert.deepEqual(listed.members.map((m) => m.name).sort(), ours.map((m) => m.name).sort());
    // etcdctl's JSON prints ids as (lossy) numbers; its table prints them in hex, as we do.
    const table = await etcdctl(cp3.clientUrl, "member", "list");
    for (const member of ours)
      assert.ok(table.includes(member.id.toString(16)), `${member.id.toString(16)} in ${table}`);
  });

  test("status, alarms and defragment answer from the node's own member", async () => {
    const status = await cp2.etcd.status();
    const members = await cp2.etcd.members({ local: true });
    assert.equal(members.find((m) => m.id === status.memberId)?.name, "cp-2");
    assert.ok(
      members.some((m) => m.id === status.leader),
      "the leader is a member",
    );
    assert.match(status.version, /^3\./);
    assert.ok(status.dbSize > 0);
    assert.deepEqual(await cp2.etcd.alarms(), []);
    assert.deepEqual(await cp2.etcd.disarmAlarms(), []);
    await cp2.etcd.defragment();
  });

  test("forfeitLeadership hands leadership to another member, and does nothing on a follower", async () => {
    const { leader } = await cp1.etcd.status();
    const members = await cp1.etcd.members({ local: false });
    const leaderName = members.find((m) => m.id === leader)?.name;
    const leaderNode = nodes.find((n) => n.name === leaderName)!;
    const follower = nodes.find((n) => n.name !== leaderName)!;
    assert.equal(await follower.etcd.forfeitLeadership(), "");
    const newLeader = await leaderNode.etcd.forfeitLeadership();
    assert.notEqual(newLeader, "");
    assert.notEqual(newLeader, leaderName);
    await eventually("the leadership to move", async () => {
      const now = await leaderNode.etcd.status();
      return members.find((m) => m.id === now.leader)?.name === newLeader;
    });
  });

  test("removeMember removes another member and refuses the node's own", async () => {
    // etcd refuses membership changes until its members have been connected for 5 s.
    await eventually("etcd to accept a new member", async () => {
      await etcdctl(cp1.clientUrl, "member", "add", "ghost", `--peer-urls=https://${prefix}.99:2380`);
      return true;
    });
    const ghost = (await cp1.etcd.members({ local: false })).find((m) =>
      m.peerUrls.includes(`https://${prefix}.99:2380`),
    );
    assert.ok(ghost, "the unstarted member is listed");
    await cp1.etcd.removeMember(ghost.id);
    assert.equal((await cp1.etcd.members({ local: false })).length, 3);
    const own = await cp1.etcd.status();
    await assert.rejects(cp1.etcd.removeMember(own.memberId), {
      code: "failed-precondition",
      message: /this node's own/,
    });
  });

  test("leave removes the node, stops its etcd and wipes its data; it stays off", async () => {
    await cp3.etcd.leave();
    const members = await cp1.etcd.members({ local: false });
    assert.deepEqual(members.map((m) => m.name).sort(), ["cp-1", "cp-2"]);
    assert.equal(cp3.etcd.hasData(), false);
    const status = cp3.supervisor.list()[0]!;
    assert.equal(status.state, "skipped");
    assert.match(status.message, /left the etcd cluster/);
    await assert.rejects(cp3.etcd.members({ local: true }), /left the etcd cluster/);
  });

  test("a snapshot restores into a new cluster that has the data", async () => {
    await etcdctl(cp1.clientUrl, "put", "/stele/test", "kept");
    const chunks: Uint8Array[] = [];
    for await (const chunk of cp1.etcd.snapshot()) chunks.push(chunk);
    const snapshot = Buffer.concat(chunks);
    assert.ok(snapshot.length > 4096, `snapshot of ${snapshot.length} bytes`);

    // The whole cluster is lost; a fresh control plane recovers it from the snapshot.
    await Promise.all([cp1.close(), cp2.close()]);
    const fresh = new TestNode(5, controlPlaneConfig(`${prefix}.6`));
    others.push(fresh);
    await fresh.start();
    await eventually("the fresh node to wait", () => fresh.logs.includes(ETCD_WAITING_MESSAGE));
    await assert.rejects(
      fresh.etcd.bootstrap({ recover: true, skipHashCheck: false }),
      /no snapshot was uploaded/,
    );
    await fresh.etcd.uploadSnapshot(
      (async function* () {
        for (const chunk of chunks) yield chunk;
      })(),
    );
    await fresh.etcd.bootstrap({ recover: true, skipHashCheck: false });
    await fresh.waitHealthy();
    const members = await fresh.etcd.members({ local: false });
    assert.deepEqual(
      members.map((m) => m.name),
      ["cp-5"],
    );
    assert.match(await etcdctl(fresh.clientUrl, "get", "/stele/test", "--print-value-only"), /^kept$/m);
  });
});
