/**
 * Opt-in: etcd as a node runs it, a container of the etcd image in a real system containerd,
 * driven by NodeEtcd through the container launcher (bootstrap, snapshot, recover with etcdutl in a
 * container, a killed task restarted). Needs root and, in the environment:
 *   STELE_CONTAINERD_BIN_DIR   a directory with containerd, containerd-shim-runc-v2, ctr and runc
 *   STELE_ETCD_IMAGE_ARCHIVE   the etcd OCI archive (`etcd.oci.tar` of the node image build)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { generateConfigs } from "../../../machinery/config/generate-config.ts";
import { parseConfig, serializeConfig } from "../../../machinery/config/index.ts";
import { generateSecretsBundle } from "../../../machinery/pki/secrets-bundle.ts";
import { ResourceStore } from "../../../runtime/index.ts";
import { containerdInstances } from "../containers/containerd-instance.ts";
import { containerdService } from "../containers/containerd-service.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { Member } from "../resources/member.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { Supervisor } from "../system/supervisor.ts";
import { containerEtcdLauncher } from "./container-etcd-launcher.ts";
import { NodeEtcd } from "./node-etcd.ts";

const bin = process.env.STELE_CONTAINERD_BIN_DIR;
const archive = process.env.STELE_ETCD_IMAGE_ARCHIVE;
const skip =
  !bin || !archive
    ? "set STELE_CONTAINERD_BIN_DIR and STELE_ETCD_IMAGE_ARCHIVE to run etcd in a real containerd"
    : process.getuid?.() !== 0
      ? "containerd needs root"
      : false;

describe("etcd in a container of the system containerd", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "stele-etcd-ctr-"));
  const cgroup = `/stele-test-${process.pid}`;
  const address = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.2`;
  const stateDir = join(dir, "system");
  const varDir = join(dir, "var");
  const supervisor = new Supervisor();
  let etcd: NodeEtcd | undefined;

  after(async () => {
    await supervisor.close();
    etcd?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const root of readdirSync("/sys/fs/cgroup").map((name) => join("/sys/fs/cgroup", name))) {
      removeTree(join(root, cgroup));
    }
  });

  test("bootstrap, snapshot, recover and a killed task, with nothing left afterwards", async () => {
    process.env.PATH = `${bin}:${process.env.PATH}`;
    const cache = join(dir, "image-cache");
    mkdirSync(cache, { recursive: true });
    copyFileSync(archive!, join(cache, "etcd.tar"));
    const secrets = await generateSecretsBundle();
    const documents = generateConfigs({
      clusterName: "ctr",
      endpoint: `https://${address}:6443`,
      secrets,
    }).controlplane.map((d) =>
      d.kind === "ClusterConfig" ? { ...d, etcd: { ...d.etcd, advertisedSubnets: [`${address}/32`] } } : d,
    );
    const text = serializeConfig(documents);
    const config = { text, parsed: parseConfig(text, { file: "config.yaml" }), warnings: [] };
    const store = new ResourceStore();
    for (const type of [Hostname, NodeAddresses, Member]) store.registerType(type);
    store.create(Hostname, HOSTNAME_ID, { owner: null, spec: { hostname: "ctr-cp-1", domainname: "" } });
    store.create(NodeAddresses, NODE_ADDRESSES_ID, { owner: null, spec: { addresses: [`${address}/8`] } });
    const { system } = containerdInstances({ stateDir, varDir, runDir: join(dir, "run") });
    const ctrPath = join(bin!, "ctr");
    etcd = new NodeEtcd({
      stateDir,
      varDir,
      config: () => config,
      store: () => store,
      supervisor: () => supervisor,
      log: () => {},
      launcher: containerEtcdLauncher({
        target: { address: system.socket, namespace: system.namespace },
        dataDir: join(varDir, "lib/etcd"),
        pkiDir: join(stateDir, "secrets/etcd"),
        recoverDir: join(varDir, "lib/etcd-recover"),
        unavailable: () => undefined,
        ctr: ctrPath,
        cgroupParent: () => cgroup,
      }),
    });
    const imported: string[] = [];
    supervisor.load([
      containerdService(system, {
        unavailable: () => undefined,
        log: (m) => imported.push(m),
        imageCacheDir: cache,
        containerd: join(bin!, "containerd"),
        ctr: ctrPath,
      }),
      etcd.service,
    ]);
    const healthy = (id: string, more: (restarts: number) => boolean = () => true) =>
      supervisor.waitFor(
        id,
        (s) => s.state === "running" && s.healthy === true && more(s.restartCount),
        AbortSignal.timeout(60_000),
      );
    const ctr = (...args: string[]) =>
      execFileSync(ctrPath, ["--address", system.socket, "--namespace", "system", ...args], {
        encoding: "utf8",
      });

    await supervisor.startAll();
    await healthy("containerd");
    assert.ok(
      imported.some((line) => line.startsWith("Imported image ")),
      imported.join("\n"),
    );
    await supervisor.waitFor("etcd", (s) => s.state === "preparing", AbortSignal.timeout(10_000));
    await etcd.bootstrap({ recover: false, skipHashCheck: false });
    await healthy("etcd");
    assert.deepEqual(
      (await etcd.members({ local: false })).map((m) => m.name),
      ["ctr-cp-1"],
    );
    assert.match(ctr("tasks", "list"), /^etcd\s+\d+\s+RUNNING/m);

    const chunks: Uint8Array[] = [];
    for await (const chunk of etcd.snapshot()) chunks.push(chunk);
    await supervisor.stop("etcd");
    assert.equal(ctr("containers", "list", "--quiet").trim(), "", "no container left after a stop");
    rmSync(join(varDir, "lib/etcd/member"), { recursive: true });
    await etcd.uploadSnapshot(
      (async function* () {
        yield* chunks;
      })(),
    );
    await etcd.bootstrap({ recover: true, skipHashCheck: false });
    assert.ok(statSync(join(varDir, "lib/etcd/member")).isDirectory());
    await supervisor.start("etcd");
    await healthy("etcd");

    ctr("tasks", "kill", "--signal", "SIGKILL", "etcd");
    await healthy("etcd", (restarts) => restarts > 0);
    assert.deepEqual(
      (await etcd.members({ local: true })).map((m) => m.name),
      ["ctr-cp-1"],
    );
  });
});

/** rmdir a cgroup tree depth-first (cgroup directories only go with rmdir). */
function removeTree(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(join(path, entry.name));
  }
  try {
    rmdirSync(path);
  } catch {
    // still in use: left for the host to clean
  }
}
