import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseClientConfig } from "../../machinery/client/index.ts";
import { SteleError } from "../../machinery/errors.ts";
import type { ClusterNodeApi } from "../container/cluster-node-api.ts";
import { planCluster } from "../container/cluster-plan.ts";
import { type ClusterState, initialClusterState } from "../container/cluster-state.ts";
import { bringUpCluster, type ClusterBringUp } from "./bring-up-cluster.ts";
import { type ClusterMaterial, generateClusterMaterial } from "./cluster-material.ts";

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 5).toString(16).padStart(2, "0").toUpperCase(),
).join(":");

const work = mkdtempSync(join(tmpdir(), "stele-bring-up-"));
after(() => rmSync(work, { recursive: true, force: true }));

const plan = planCluster({ name: "flow", controlPlanes: 1, workers: 1, stateDir: join(work, "clusters") });
let material: ClusterMaterial;
before(async () => {
  material = await generateClusterMaterial(plan, {
    patches: { common: [], controlPlane: [], worker: [] },
    progress: () => {},
  });
});

/** A node API that records each call; `bootstrap` answers as the test says, attempt by attempt. */
function fakeNodes(bootstrapAnswers: Array<Error | undefined> = []) {
  const calls: string[] = [];
  const api: ClusterNodeApi = {
    async applyConfigInsecure(address, { fingerprint, config }) {
      calls.push(
        `apply ${address} ${fingerprint === FINGERPRINT} ${/hostname: (\S+)/.exec(Buffer.from(config).toString())?.[1]}`,
      );
    },
    async version(address) {
      calls.push(`version ${address}`);
      return "v0.1.0";
    },
    async bootstrap(address) {
      calls.push(`bootstrap ${address}`);
      const answer = bootstrapAnswers.shift();
      if (answer) throw answer;
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

/** A provisioner whose start writes each maintenance node's fingerprint where the flow looks for it. */
function fakeCluster(options: { exitedAfterStart?: boolean } = {}) {
  const state: ClusterState = initialClusterState(plan);
  const events: string[] = [];
  let started = false;
  const cluster: ClusterBringUp = {
    state,
    async start() {
      events.push("start");
      for (const node of state.nodes) {
        mkdirSync(node.nodeDir, { recursive: true });
        if (node.maintenance) {
          writeFileSync(
            join(node.nodeDir, "console.log"),
            `{"msg":"maintenance mode: API certificate fingerprint SHA256 ${FINGERPRINT}"}\n`,
          );
        }
      }
      started = true;
    },
    assertRunning() {
      if (started && options.exitedAfterStart)
        throw new SteleError("unavailable", "Node flow-worker-1 stopped");
    },
    maintenanceMessage: "waiting for the maintenance node…",
    apply: { timeoutMs: 5000, intervalMs: 50 },
    bootstrapTimeoutMs: 5000,
    recordContext(clientConfig) {
      events.push(`record ${clientConfig.context}`);
    },
    async teardown(progress) {
      events.push("teardown");
      progress("removed everything");
    },
  };
  return { state, events, cluster };
}

describe("bringUpCluster", () => {
  test("applies the maintenance node's config pinned to its fingerprint, then apid, Bootstrap, health and the context", async () => {
    const { state, events, cluster } = fakeCluster();
    const nodes = fakeNodes();
    const lines: string[] = [];
    const clientConfigPath = join(work, "ok.stelectlconfig");
    const merged = await bringUpCluster(cluster, {
      material,
      connect: nodes.connect,
      clientConfigPath,
      waitTimeoutMs: 5000,
      progress: (line) => lines.push(line),
    });
    const [cp, worker] = state.nodes;
    assert.deepEqual(nodes.calls, [
      `apply ${worker!.address} true ${worker!.name}`,
      `version ${cp!.address}`,
      `version ${worker!.address}`,
      `bootstrap ${cp!.address}`,
      `status ${cp!.address}`,
      `status ${worker!.address}`,
      "close",
    ]);
    assert.deepEqual(merged, { context: "flow" });
    assert.deepEqual(events, ["start", "record flow"]);
    assert.equal(
      parseClientConfig(readFileSync(clientConfigPath, "utf8"), { file: clientConfigPath }).context,
      "flow",
    );
    assert.equal(lines[0], "waiting for the maintenance node…");
    assert.equal(lines.at(-1), `merged context flow into ${clientConfigPath}`);
  });

  test("a Bootstrap refused as already done counts as done only when an earlier attempt went unanswered", async () => {
    const already = new SteleError("failed-precondition", "etcd is already bootstrapped");
    const retried = fakeNodes([new SteleError("unavailable", "No answer from the node"), already]);
    await bringUpCluster(fakeCluster().cluster, {
      material,
      connect: retried.connect,
      clientConfigPath: join(work, "retried.stelectlconfig"),
      progress: () => {},
    });
    assert.equal(retried.calls.filter((call) => call.startsWith("bootstrap")).length, 2);

    const first = fakeNodes([already]);
    await assert.rejects(
      bringUpCluster(fakeCluster().cluster, {
        material,
        connect: first.connect,
        clientConfigPath: join(work, "first.stelectlconfig"),
        progress: () => {},
      }),
      /already bootstrapped/,
    );
  });

  test("a failure is reported, torn down and rethrown; the connections are closed", async () => {
    const { events, cluster } = fakeCluster();
    const nodes = fakeNodes([new Error("etcd refused to start")]);
    const lines: string[] = [];
    await assert.rejects(
      bringUpCluster(cluster, {
        material,
        connect: nodes.connect,
        clientConfigPath: join(work, "failed.stelectlconfig"),
        progress: (line) => lines.push(line),
      }),
      /etcd refused to start/,
    );
    assert.deepEqual(events, ["start", "teardown"]);
    assert.deepEqual(lines.slice(-3), [
      "create failed: etcd refused to start",
      "tearing down what was made…",
      "  removed everything",
    ]);
    assert.equal(nodes.calls.at(-1), "close");
  });

  test("with skipTeardownOnFailure a failure leaves everything in place and says where", async () => {
    const { state, events, cluster } = fakeCluster({ exitedAfterStart: true });
    const lines: string[] = [];
    const started = Date.now();
    await assert.rejects(
      bringUpCluster(cluster, {
        material,
        connect: fakeNodes().connect,
        clientConfigPath: join(work, "kept.stelectlconfig"),
        skipTeardownOnFailure: true,
        progress: (line) => lines.push(line),
      }),
      /Node flow-worker-1 stopped/,
    );
    assert.ok(Date.now() - started < 2000, "an exited process stops the wait at once");
    assert.deepEqual(events, ["start"]);
    assert.equal(lines.at(-1), `left everything in place (--skip-teardown-on-failure): ${state.clusterDir}`);
  });
});
