import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { generateConfigs } from "../../../machinery/config/generate-config.ts";
import { type ConfigDocument, parseConfig, serializeConfig } from "../../../machinery/config/index.ts";
import { generateSecretsBundle } from "../../../machinery/pki/secrets-bundle.ts";
import { ResourceStore } from "../../../runtime/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { nodeContainerServices } from "../containers/node-container-services.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { Member } from "../resources/member.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { FakeRunner } from "../system/fake-runner.ts";
import { Supervisor } from "../system/supervisor.ts";
import type { EtcdLauncher, EtcdRestoreSpec, EtcdRunSpec } from "./etcd-launcher.ts";
import { ETCD_WAITING_MESSAGE } from "./etcd-start.ts";
import { NodeEtcd } from "./node-etcd.ts";
import { FakeEtcdCluster } from "./testing/fake-etcd.ts";

const secrets = await generateSecretsBundle();
const generated = generateConfigs({ clusterName: "demo", endpoint: "https://10.5.0.2:6443", secrets });

function loaded(documents: readonly ConfigDocument[], etcd: Record<string, unknown> = {}): LoadedConfig {
  const patched = documents.map((d) =>
    d.kind === "ClusterConfig" ? { ...d, etcd: { ...d.etcd, ...etcd } } : d,
  );
  const text = serializeConfig(patched);
  return { text, parsed: parseConfig(text, { file: "config.yaml" }), warnings: [] };
}

/** A launcher whose runs are fakes; it records what etcd would have been started with. */
class FakeLauncher implements EtcdLauncher {
  readonly fake = new FakeRunner();
  readonly specs: EtcdRunSpec[] = [];
  readonly restores: EtcdRestoreSpec[] = [];
  reason: string | undefined;
  readonly dependsOn = [];
  readonly dataDir = "/var/lib/etcd";
  readonly pkiDir = "/system/secrets/etcd";
  onRestore: () => void = () => {};
  unavailable = () => this.reason;
  runner(spec: () => EtcdRunSpec) {
    return {
      start: (context: Parameters<FakeRunner["start"]>[0]) => {
        this.specs.push(spec());
        return this.fake.start(context);
      },
    };
  }
  async restore(spec: EtcdRestoreSpec): Promise<void> {
    this.restores.push(spec);
    this.onRestore();
  }
}

describe("NodeEtcd", () => {
  let dir: string;
  let store: ResourceStore;
  let cluster: FakeEtcdCluster;
  let launcher: FakeLauncher;
  let supervisor: Supervisor;
  let config: LoadedConfig | undefined;
  let logs: string[];
  let etcd: NodeEtcd;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "stele-node-etcd-"));
    store = new ResourceStore();
    for (const type of [Hostname, NodeAddresses, Member]) store.registerType(type);
    store.create(Hostname, HOSTNAME_ID, { owner: null, spec: { hostname: "cp-2", domainname: "" } });
    store.create(NodeAddresses, NODE_ADDRESSES_ID, {
      owner: null,
      spec: { addresses: ["10.5.0.3/24", "127.0.0.1/8"] },
    });
    cluster = new FakeEtcdCluster();
    launcher = new FakeLauncher();
    supervisor = new Supervisor();
    config = loaded(generated.controlplane);
    logs = [];
    etcd = new NodeEtcd({
      stateDir: join(dir, "system"),
      varDir: join(dir, "var"),
      config: () => config,
      store: () => store,
      supervisor: () => supervisor,
      log: (message) => logs.push(message),
      launcher,
      connect: (endpoints) => cluster.connect(endpoints),
      retryMs: 20,
    });
    supervisor.load([etcd.service]);
  });

  afterEach(async () => {
    await supervisor.close();
    etcd.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const started = () => launcher.fake.run(0);
  const flag = (spec: EtcdRunSpec, name: string) =>
    spec.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

  describe("refusals", () => {
    test("bootstrap on a worker says etcd runs only on control planes", async () => {
      config = loaded(generated.worker);
      await assert.rejects(etcd.bootstrap({ recover: false, skipHashCheck: false }), {
        code: "failed-precondition",
        message: "Cannot bootstrap etcd: this node is a worker: etcd runs only on control-plane nodes",
      });
      await assert.rejects(etcd.members({ local: true }), {
        code: "failed-precondition",
        message: /this node is a worker/,
      });
    });

    test("bootstrap where etcd cannot run names the reason", async () => {
      launcher.reason = "containerd runs only when machined is the node's PID 1";
      await assert.rejects(etcd.bootstrap({ recover: false, skipHashCheck: false }), {
        code: "failed-precondition",
        message: "Cannot bootstrap etcd: containerd runs only when machined is the node's PID 1",
      });
    });

    test("bootstrap on a node with etcd data says it is already bootstrapped", async () => {
      mkdirSync(join(dir, "var/lib/etcd/member"), { recursive: true });
      await assert.rejects(etcd.bootstrap({ recover: false, skipHashCheck: false }), {
        code: "failed-precondition",
        message: `etcd is already bootstrapped on this node: ${join(dir, "var/lib/etcd")} holds a member`,
      });
    });

    test("bootstrap while another control plane runs etcd says this node joins it by itself", async () => {
      cluster.addStarted("cp-1", "10.5.0.2");
      await assert.rejects(etcd.bootstrap({ recover: false, skipHashCheck: false }), {
        code: "failed-precondition",
        message: "etcd already runs on https://10.5.0.2:2379: this node joins it by itself",
      });
    });

    test("a second bootstrap request is refused while the first is pending", async () => {
      await etcd.bootstrap({ recover: false, skipHashCheck: false });
      await assert.rejects(etcd.bootstrap({ recover: false, skipHashCheck: false }), {
        message: "etcd is already being bootstrapped on this node",
      });
    });

    test("recover without an uploaded snapshot says how to pass one", async () => {
      await assert.rejects(etcd.bootstrap({ recover: true, skipHashCheck: false }), {
        code: "failed-precondition",
        message: /^Cannot recover etcd: no snapshot was uploaded to .*snapshot\.db$/,
      });
    });

    test("operations while etcd waits to join explain why etcd does not answer", async () => {
      await assert.rejects(etcd.status(), {
        code: "unavailable",
        message: /^Cannot get the etcd status: etcd (has not been started|is not running) on this node/,
      });
    });
  });

  describe("the etcd service", () => {
    test("it is skipped where it must not run, saying why", async () => {
      const cases: [() => void, string][] = [
        [
          () => (launcher.reason = "containerd runs only when machined is the node's PID 1"),
          "Skipped: containerd runs only when machined is the node's PID 1",
        ],
        [() => (config = loaded(generated.worker)), "Skipped: not a control-plane node"],
      ];
      for (const [arrange, message] of cases) {
        launcher.reason = undefined;
        config = loaded(generated.controlplane);
        arrange();
        await supervisor.start("etcd");
        await supervisor.waitFor("etcd", (s) => s.state === "skipped", AbortSignal.timeout(2_000));
        assert.equal(supervisor.list()[0]?.message, message);
        await supervisor.stop("etcd");
      }
    });

    test("without data it waits and logs how to bootstrap; bootstrap starts a new cluster of one", async () => {
      await supervisor.start("etcd");
      while (!logs.includes(ETCD_WAITING_MESSAGE)) await new Promise((r) => setTimeout(r, 5));
      assert.equal(supervisor.list()[0]?.state, "preparing");
      await etcd.bootstrap({ recover: false, skipHashCheck: false });
      await started();
      const spec = launcher.specs[0]!;
      assert.equal(spec.image, "registry.k8s.io/etcd:3.5.16-0");
      assert.equal(flag(spec, "initial-cluster-state"), "new");
      assert.equal(flag(spec, "initial-cluster"), "cp-2=https://10.5.0.3:2380");
      assert.equal(flag(spec, "name"), "cp-2");
      assert.equal(flag(spec, "data-dir"), "/var/lib/etcd");
    });

    test("a bootstrapped etcd that dies before writing data bootstraps again instead of waiting", async () => {
      await etcd.bootstrap({ recover: false, skipHashCheck: false });
      await supervisor.start("etcd");
      (await started()).exitWith(1);
      await launcher.fake.run(1);
      assert.equal(flag(launcher.specs[1]!, "initial-cluster-state"), "new");
    });

    test("it joins a running member found at the cluster endpoint", async () => {
      cluster.addStarted("cp-1", "10.5.0.2");
      await supervisor.start("etcd");
      await started();
      const spec = launcher.specs[0]!;
      assert.equal(flag(spec, "initial-cluster-state"), "existing");
      assert.equal(flag(spec, "initial-cluster"), "cp-1=https://10.5.0.2:2380,cp-2=https://10.5.0.3:2380");
      assert.ok(logs.some((l) => l.startsWith("Joining the etcd cluster through https://10.5.0.2:2379")));
    });

    test("it joins through a control-plane Member when the endpoint does not answer", async () => {
      config = loaded(
        generateConfigs({ clusterName: "demo", endpoint: "https://lb.example:6443", secrets }).controlplane,
      );
      cluster.addStarted("cp-7", "10.5.0.7");
      store.create(Member, "cp-7", {
        owner: null,
        spec: { hostname: "cp-7", machineType: "controlplane", addresses: ["10.5.0.7/24"] },
      });
      store.create(Member, "w-1", {
        owner: null,
        spec: { hostname: "w-1", machineType: "worker", addresses: ["10.5.0.9/24"] },
      });
      await supervisor.start("etcd");
      await started();
      assert.equal(
        flag(launcher.specs[0]!, "initial-cluster"),
        "cp-7=https://10.5.0.7:2380,cp-2=https://10.5.0.3:2380",
      );
      assert.ok(!cluster.calls.some((c) => c.includes("10.5.0.9")), "workers are not asked");
    });

    test("with data it restarts on it without asking anyone", async () => {
      mkdirSync(join(dir, "var/lib/etcd/member"), { recursive: true });
      cluster.addStarted("cp-1", "10.5.0.2");
      await supervisor.start("etcd");
      await started();
      assert.equal(flag(launcher.specs[0]!, "initial-cluster-state"), "existing");
      assert.deepEqual(cluster.calls, []);
    });

    test("it advertises the address in cluster.etcd.advertisedSubnets", async () => {
      store.update(NodeAddresses, NODE_ADDRESSES_ID, {
        owner: null,
        spec: { addresses: ["10.5.0.3/24", "192.168.7.3/24"] },
        expectedVersion: store.get(NodeAddresses, NODE_ADDRESSES_ID)!.metadata.version,
      });
      config = loaded(generated.controlplane, {
        advertisedSubnets: ["192.168.0.0/16"],
        extraArgs: { "heartbeat-interval": "250" },
      });
      await etcd.bootstrap({ recover: false, skipHashCheck: false });
      await supervisor.start("etcd");
      await started();
      const spec = launcher.specs[0]!;
      assert.equal(flag(spec, "advertise-client-urls"), "https://192.168.7.3:2379");
      assert.equal(flag(spec, "heartbeat-interval"), "250");
    });

    test("its certificates are issued from the etcd CA into a private directory", async () => {
      await etcd.bootstrap({ recover: false, skipHashCheck: false });
      await supervisor.start("etcd");
      await started();
      const pki = join(dir, "system/secrets/etcd");
      assert.equal(statSync(pki).mode & 0o777, 0o700);
      for (const file of [
        "ca.crt",
        "server.crt",
        "server.key",
        "peer.crt",
        "peer.key",
        "client.crt",
        "client.key",
      ]) {
        assert.equal(statSync(join(pki, file)).mode & 0o777, 0o600, file);
      }
      assert.equal(readFileSync(join(pki, "ca.crt"), "utf8"), secrets.certs.etcd.crt);
    });
  });

  describe("operations on the running member", () => {
    beforeEach(() => {
      cluster.addStarted("cp-1", "10.5.0.2");
      const self = cluster.addStarted("cp-2", "10.5.0.3");
      // machined dials its own member on 127.0.0.1.
      cluster.members[1] = { ...self, clientUrls: ["https://10.5.0.3:2379", "https://127.0.0.1:2379"] };
      cluster.answering.add("https://127.0.0.1:2379");
      mkdirSync(join(dir, "var/lib/etcd/member"), { recursive: true });
      mkdirSync(join(dir, "system/secrets/etcd"), { recursive: true });
      for (const file of ["ca.crt", "client.crt", "client.key"])
        writeFileSync(join(dir, "system/secrets/etcd", file), "pem");
    });

    test("forfeitLeadership does nothing on a follower and hands over from the leader", async () => {
      assert.equal(await etcd.forfeitLeadership(), "");
      cluster.leader = cluster.members[1]!.id;
      assert.equal(await etcd.forfeitLeadership(), "cp-1");
      assert.equal(cluster.leader, cluster.members[0]!.id);
    });

    test("removeMember refuses this node's own member", async () => {
      await assert.rejects(etcd.removeMember(cluster.members[1]!.id), {
        code: "failed-precondition",
        message: /it is this node's own/,
      });
      await etcd.removeMember(cluster.members[0]!.id);
      assert.deepEqual(
        cluster.members.map((m) => m.name),
        ["cp-2"],
      );
    });

    test("leave is refused when this node is the only member", async () => {
      cluster.members = cluster.members.slice(1);
      await assert.rejects(etcd.leave(), {
        code: "failed-precondition",
        message: /only member, leaving would destroy it/,
      });
    });

    test("disarmAlarms disarms every active alarm and returns them", async () => {
      cluster.alarms = [{ memberId: cluster.members[0]!.id, alarm: "NOSPACE" }];
      assert.deepEqual(await etcd.alarms(), cluster.alarms);
      assert.deepEqual(
        (await etcd.disarmAlarms()).map((a) => a.alarm),
        ["NOSPACE"],
      );
      assert.deepEqual(await etcd.alarms(), []);
    });

    test("recover restores the uploaded snapshot and moves the new member into place", async () => {
      rmSync(join(dir, "var/lib/etcd/member"), { recursive: true });
      cluster.answering.clear();
      await etcd.uploadSnapshot(
        (async function* () {
          yield new Uint8Array([1, 2, 3]);
          yield new Uint8Array([4]);
        })(),
      );
      const snapshot = join(dir, "var/lib/etcd-recover/snapshot.db");
      assert.deepEqual([...readFileSync(snapshot)], [1, 2, 3, 4]);
      assert.equal(statSync(snapshot).mode & 0o777, 0o600);
      launcher.onRestore = () =>
        mkdirSync(join(dir, "var/lib/etcd-recover/restored/member/wal"), { recursive: true });
      await etcd.bootstrap({ recover: true, skipHashCheck: true });
      assert.deepEqual(launcher.restores, [
        {
          image: "registry.k8s.io/etcd:3.5.16-0",
          name: "cp-2",
          initialCluster: "cp-2=https://10.5.0.3:2380",
          peerUrl: "https://10.5.0.3:2380",
          skipHashCheck: true,
        },
      ]);
      assert.equal(etcd.hasData(), true);
      assert.ok(statSync(join(dir, "var/lib/etcd/member/wal")).isDirectory());
      assert.equal(existsSync(snapshot), false, "the uploaded snapshot is not kept once restored");
    });

    test("an empty snapshot upload is refused", async () => {
      await assert.rejects(etcd.uploadSnapshot((async function* () {})()), { code: "invalid-argument" });
    });
  });
});

describe("nodeContainerServices", () => {
  test("containerd, cri and etcd are present and skip themselves when machined is not PID 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stele-node-services-"));
    const store = new ResourceStore();
    const supervisor = new Supervisor();
    try {
      const config = loaded(generated.controlplane);
      const { services, etcd } = nodeContainerServices({
        stateDir: join(dir, "system"),
        varDir: join(dir, "var"),
        config: () => config,
        store: () => store,
        supervisor: () => supervisor,
        logs: () => ({ sink: () => ({ log: () => {} }) }),
        sandboxed: false,
      });
      assert.deepEqual(
        services.map((s) => s.id),
        ["containerd", "cri", "etcd"],
      );
      assert.deepEqual(etcd.service.dependsOn, ["containerd"]);
      supervisor.load(services);
      await supervisor.startAll();
      for (const id of ["containerd", "cri", "etcd"]) {
        await supervisor.waitFor(id, (s) => s.state === "skipped", AbortSignal.timeout(2_000));
      }
      assert.deepEqual(
        supervisor.list().map((s) => s.message),
        Array(3).fill("Skipped: containerd runs only when machined is the node's PID 1"),
      );
    } finally {
      await supervisor.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
