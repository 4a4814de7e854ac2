import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseClientConfig } from "../../machinery/client/index.ts";
import { isSteleError } from "../../machinery/errors.ts";
import type { ClusterNodeApi } from "./cluster-node-api.ts";
import { planCluster } from "./cluster-plan.ts";
import { readClusterState } from "./cluster-state.ts";
import { type CreateClusterDependencies, createCluster } from "./create-cluster.ts";
import { destroyCluster } from "./destroy-cluster.ts";
import { findLeftovers } from "./find-leftovers.ts";
import { isRunning } from "./host-processes.ts";

const isRoot = process.getuid?.() === 0;
const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, "0").toUpperCase(),
).join(":");

const work = mkdtempSync(join(tmpdir(), "stele-create-"));
after(() => rmSync(work, { recursive: true, force: true }));
const images = join(work, "images");

/**
 * A stand-in keeper: a real detached process named like one (`sandbox-keeper`, the node dir in its
 * command line), writing keeper.pid and, for a maintenance node, the fingerprint line apid logs.
 * `behaviour` makes it ignore SIGTERM or exit at once.
 */
function fakeKeeper(
  behaviour: "normal" | "stubborn" | "dies" = "normal",
): CreateClusterDependencies["keeperCommand"] {
  return async (options) => {
    const script = [
      `const fs=require("node:fs");`,
      `fs.writeFileSync(${JSON.stringify(join(options.nodeDir, "keeper.pid"))}, String(process.pid));`,
      `const maintenance=!fs.existsSync(${JSON.stringify(join(options.nodeDir, "state", "config.yaml"))});`,
      `if(maintenance) console.log("{\\"msg\\":\\"maintenance mode: API certificate fingerprint SHA256 ${FINGERPRINT}\\"}");`,
      behaviour === "dies" ? `console.log("machined: cannot mount the root"); process.exit(1);` : "",
      behaviour === "stubborn"
        ? `process.on("SIGTERM",()=>{});`
        : `process.on("SIGTERM",()=>process.exit(0));`,
      `setInterval(()=>{},1000);`,
    ].join("");
    return {
      command: process.execPath,
      args: ["-e", script, "sandbox-keeper", "--node-dir", options.nodeDir],
    };
  };
}

/** A node API that records what create asked, and can fail one step. */
function fakeNodes(failAt?: "bootstrap") {
  const calls: string[] = [];
  const api: ClusterNodeApi = {
    async applyConfigInsecure(address, { fingerprint, config }) {
      assert.equal(fingerprint, FINGERPRINT);
      calls.push(`apply ${address} ${/hostname: (\S+)/.exec(Buffer.from(config).toString())?.[1]}`);
    },
    async version(address) {
      calls.push(`version ${address}`);
      return "v0.1.0";
    },
    async bootstrap(address) {
      calls.push(`bootstrap ${address}`);
      if (failAt === "bootstrap") throw new Error("etcd refused to start");
    },
    async machineStatus(address) {
      calls.push(`status ${address}`);
      return { stage: "running", ready: true, unmet: [] };
    },
    close() {
      calls.push("close");
    },
  };
  return { calls, connect: () => api };
}

function setup(behaviour?: "normal" | "stubborn" | "dies", failAt?: "bootstrap") {
  const name = `t-${randomBytes(3).toString("hex")}`;
  const plan = planCluster({
    name,
    cidr: `10.250.${1 + Math.floor(Math.random() * 254)}.${16 * Math.floor(Math.random() * 16)}/28`,
    stateDir: join(work, "clusters"),
  });
  const clientConfigPath = join(work, `${name}.stelectlconfig`);
  const nodes = fakeNodes(failAt);
  const lines: string[] = [];
  const options = {
    plan,
    clientConfigPath,
    imagesDir: images,
    waitTimeoutMs: 10_000,
    progress: (line: string) => lines.push(line),
  };
  const dependencies: CreateClusterDependencies = {
    connect: nodes.connect,
    keeperCommand: fakeKeeper(behaviour),
    removeNodeCgroup: async () => {},
    ensureImages: async ({ outputDir }) => {
      const rootfs = join(outputDir, "rootfs.sqsh");
      const etcdImage = join(outputDir, "etcd.oci.tar");
      if (!existsSync(outputDir)) {
        const { mkdirSync } = await import("node:fs");
        mkdirSync(outputDir, { recursive: true });
      }
      writeFileSync(rootfs, "squashfs");
      writeFileSync(etcdImage, "oci");
      return { rootfs, etcdImage, manifest: join(outputDir, "images.json") };
    },
  };
  return { plan, clientConfigPath, nodes, lines, options, dependencies };
}

describe("create and destroy with stand-in keepers", {
  skip: !isRoot && "needs root (network namespaces)",
}, () => {
  test("create makes the cluster dir, network and keepers; destroy removes all of it", async () => {
    const { plan, clientConfigPath, nodes, lines, options, dependencies } = setup();
    const created = await createCluster(options, dependencies);
    const state = readClusterState(plan.clusterDir)!;
    try {
      assert.equal(created.context, plan.name);
      assert.deepEqual(state.clientConfig, { path: clientConfigPath, context: plan.name });
      assert.equal(statSync(plan.clusterDir).mode & 0o777, 0o700);
      for (const file of [
        "secrets.yaml",
        "controlplane.yaml",
        "worker.yaml",
        "stelectlconfig",
        "cluster.json",
      ]) {
        assert.equal(statSync(join(plan.clusterDir, file)).mode & 0o777, 0o600, file);
      }
      assert.equal(readFileSync(join(plan.clusterDir, "rootfs.sqsh"), "utf8"), "squashfs");
      assert.ok(existsSync(join(plan.clusterDir, "image-cache", "etcd.oci.tar")));
      const [cp, worker] = state.nodes;
      assert.match(
        readFileSync(join(cp!.nodeDir, "state", "config.yaml"), "utf8"),
        new RegExp(`hostname: ${cp!.name}`),
      );
      assert.ok(
        !existsSync(join(worker!.nodeDir, "state", "config.yaml")),
        "the maintenance node boots without a config",
      );
      assert.ok(state.nodes.every((node) => node.keeperPid !== undefined && isRunning(node.keeperPid)));
      assert.deepEqual(nodes.calls.slice(0, 4), [
        `apply ${worker!.address} ${worker!.name}`,
        `version ${cp!.address}`,
        `version ${worker!.address}`,
        `bootstrap ${cp!.address}`,
      ]);
      const client = parseClientConfig(readFileSync(clientConfigPath, "utf8"), { file: clientConfigPath });
      assert.equal(client.context, plan.name);
      assert.deepEqual(client.contexts[plan.name]!.endpoints, [cp!.address]);
      assert.deepEqual(client.contexts[plan.name]!.nodes, [cp!.address]);
      assert.ok(lines.some((line) => line === "building the node image…"));
    } finally {
      await destroyCluster(state, { removeNodeCgroup: async () => {} });
    }
    assert.deepEqual(await findLeftovers(state), []);
    assert.ok(state.nodes.every((node) => !isRunning(node.keeperPid!)));
    const client = parseClientConfig(readFileSync(clientConfigPath, "utf8"), { file: clientConfigPath });
    assert.deepEqual(client.contexts, {}, "the context is removed");
    await destroyCluster(state, { removeNodeCgroup: async () => {} }); // twice is fine
  });

  test("a failure tears down everything made so far and leaves the client config alone", async () => {
    const { plan, clientConfigPath, lines, options, dependencies } = setup("normal", "bootstrap");
    await assert.rejects(createCluster(options, dependencies), /etcd refused to start/);
    assert.ok(
      lines.some((line) => line === "create failed: etcd refused to start"),
      lines.join("\n"),
    );
    assert.ok(lines.includes("tearing down what was made…"));
    assert.deepEqual(await findLeftovers({ ...plan }), []);
    assert.ok(!existsSync(clientConfigPath));
  });

  test("a keeper that exits stops the wait at once, with the end of its console", async () => {
    const { plan, options, dependencies } = setup("dies");
    const started = Date.now();
    await assert.rejects(createCluster(options, dependencies), (error: unknown) => {
      assert.ok(isSteleError(error));
      assert.match(error.message, /^Node t-\w+-controlplane-1 stopped: its keeper \(PID \d+\) exited/);
      assert.match(error.message, /\| machined: cannot mount the root/);
      return true;
    });
    assert.ok(Date.now() - started < 8000, "no waiting for the timeout");
    assert.deepEqual(await findLeftovers(plan), []);
  });

  test("an existing cluster is refused, saying how to destroy it, and is left untouched", async () => {
    const { plan, options, dependencies } = setup();
    const created = await createCluster(options, dependencies);
    try {
      await assert.rejects(createCluster(options, dependencies), {
        code: "already-exists",
        message: `Cluster ${plan.name} already exists: ${plan.clusterDir}`,
        hint: `remove it with \`stelectl cluster destroy --name ${plan.name}\` (add --state-dir if you gave one), or choose another --name`,
      });
      assert.ok(created.state.nodes.every((node) => isRunning(node.keeperPid!)));
    } finally {
      await destroyCluster(created.state, { removeNodeCgroup: async () => {} });
    }
  });

  test("a keeper that ignores SIGTERM is killed after the stop timeout", async () => {
    const { options, dependencies } = setup("stubborn");
    const created = await createCluster(options, dependencies);
    const lines: string[] = [];
    await destroyCluster(created.state, {
      stopTimeoutMs: 500,
      removeNodeCgroup: async () => {},
      progress: (line) => lines.push(line),
    });
    assert.ok(
      lines.some((line) => /did not stop in time: killing them/.test(line)),
      lines.join("\n"),
    );
    assert.deepEqual(await findLeftovers(created.state), []);
  });
});
