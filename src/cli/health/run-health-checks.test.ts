import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SteleError } from "../../machinery/errors.ts";
import { formatHealthProgress } from "./format-health-progress.ts";
import {
  clockProblem,
  type EtcdMembersView,
  etcdMembersProblem,
  MAX_CLOCK_SKEW_MS,
} from "./health-checks.ts";
import type {
  ClockReading,
  EtcdMemberEntry,
  HealthSource,
  MachineStatusEntry,
  MemberEntry,
} from "./health-source.ts";
import { type HealthProgress, runHealthChecks } from "./run-health-checks.ts";

const CP = ["10.5.0.2", "10.5.0.3", "10.5.0.4"];
const WORKER = "10.5.0.5";
const hostnameOf = (address: string) => `node-${address.split(".").at(-1)}`;
const member = (address: string, id: bigint): EtcdMemberEntry => ({
  id,
  name: hostnameOf(address),
  clientUrls: [`https://${address}:2379`],
  isLearner: false,
});
const MEMBERS = CP.map((address, i) => member(address, BigInt(i + 1)));

/**
 * A cluster of three control planes and a worker, healthy unless a test changes a field: each
 * answer comes from a function a test may replace, and every question is counted.
 */
class FakeCluster implements HealthSource {
  asked = new Map<string, number>();
  closed = false;
  memberResources = new Map<string | undefined, MemberEntry[]>([
    [
      undefined,
      [
        {
          hostname: hostnameOf(CP[0]!),
          machineType: "controlplane",
          addresses: [`${CP[0]}/24`, "fd00::2/64"],
        },
        { hostname: hostnameOf(WORKER), machineType: "worker", addresses: ["127.0.0.1/8", `${WORKER}/24`] },
      ],
    ],
  ]);
  unreachable = new Set<string>();
  status: (node: string) => MachineStatusEntry = () => ({
    stage: "running",
    ready: true,
    unmetConditions: [],
  });
  etcdErrors: (node: string) => string[] = () => [];
  etcdView: (node: string) => EtcdMemberEntry[] = () => MEMBERS;
  skewMs: (node: string) => number = () => 0;

  #ask(what: string, node: string | undefined): void {
    const key = `${what} ${node ?? "endpoint"}`;
    this.asked.set(key, (this.asked.get(key) ?? 0) + 1);
    if (node !== undefined && this.unreachable.has(node)) {
      throw new SteleError("unavailable", `Cannot reach node ${node} from this node: connection refused`);
    }
  }
  async members(node?: string) {
    this.#ask("members", node);
    const found = this.memberResources.get(node);
    if (found === undefined) throw new SteleError("unavailable", "no answer");
    return found;
  }
  async hostname(node: string) {
    this.#ask("hostname", node);
    return hostnameOf(node);
  }
  async machineStatus(node: string) {
    this.#ask("machineStatus", node);
    return this.status(node);
  }
  async etcdStatus(node: string) {
    this.#ask("etcdStatus", node);
    return { memberId: 1n, errors: this.etcdErrors(node) };
  }
  async etcdMembers(node: string) {
    this.#ask("etcdMembers", node);
    return this.etcdView(node);
  }
  async clock(node: string): Promise<ClockReading> {
    this.#ask("clock", node);
    const now = Date.now();
    return { sentAt: now, nodeTime: now + this.skewMs(node), receivedAt: now };
  }
  close() {
    this.closed = true;
  }
}

const named = { controlPlaneNodes: CP, workerNodes: [WORKER] };
const fast = { retryIntervalMs: 5, timeoutMs: 2_000 };

async function check(cluster: FakeCluster, options: Partial<Parameters<typeof runHealthChecks>[0]> = {}) {
  const events: HealthProgress[] = [];
  const report = await runHealthChecks({
    source: cluster,
    ...named,
    ...fast,
    ...options,
    onProgress: (event) => events.push(event),
  });
  return { report, events, printed: events.map(formatHealthProgress).join("") };
}

describe("runHealthChecks", () => {
  test("a healthy cluster passes every check in order, and Kubernetes is skipped, saying why", async () => {
    const cluster = new FakeCluster();
    const { report, printed } = await check(cluster);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.outcome]),
      [
        ["apid", "passed"],
        ["ready", "passed"],
        ["etcd", "passed"],
        ["etcd-members", "passed"],
        ["time", "passed"],
        ["kubernetes", "skipped"],
      ],
    );
    assert.match(
      printed,
      /^discovered nodes: control plane: 10\.5\.0\.2, 10\.5\.0\.3, 10\.5\.0\.4; worker: 10\.5\.0\.5\n/,
    );
    assert.match(
      printed,
      /waiting for apid to be reachable on every node \.\.\.\nwaiting for apid to be reachable on every node: OK/,
    );
    assert.match(
      printed,
      /\nSKIP kubernetes: no kubelet runs on the nodes yet: no Kubernetes images are available/,
    );
    assert.equal(cluster.asked.get(`etcdStatus ${WORKER}`), undefined, "a worker is not asked about etcd");
    assert.equal(cluster.closed, false, "a source passed in is the caller's to close");
  });

  test("a check that does not hold yet is retried, each new reason shown once, until it holds", async () => {
    const cluster = new FakeCluster();
    let round = 0;
    cluster.status = (node) => {
      if (node !== WORKER) return { stage: "running", ready: true, unmetConditions: [] };
      round += 1;
      if (round < 3) return { stage: "booting", ready: false, unmetConditions: [] };
      if (round < 6) {
        return {
          stage: "running",
          ready: false,
          unmetConditions: [{ name: "apid", reason: "waiting: no certificate" }],
        };
      }
      return { stage: "running", ready: true, unmetConditions: [] };
    };
    const { report, events } = await check(cluster);
    assert.equal(report.ok, true);
    const reasons = events.flatMap((e) =>
      e.kind === "waiting" && e.check === "ready" && e.message ? [e.message] : [],
    );
    assert.deepEqual(reasons, [
      "10.5.0.5: stage booting, not ready",
      "10.5.0.5: stage running, not ready: unmet apid (waiting: no certificate)",
    ]);
    assert.equal(cluster.asked.get(`machineStatus ${WORKER}`), 6);
  });

  test("once time is up, every later check is still tried once, so all failing checks are named", async () => {
    const cluster = new FakeCluster();
    cluster.etcdView = (node) => (node === CP[2] ? MEMBERS.slice(0, 2) : MEMBERS);
    cluster.skewMs = (node) => (node === WORKER ? -(MAX_CLOCK_SKEW_MS + 60_000) : 0);
    const { report, printed } = await check(cluster, { timeoutMs: 100 });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.checks.filter((c) => c.outcome === "failed").map((c) => c.id),
      ["etcd-members", "time"],
    );
    assert.match(
      printed,
      /etcd members to be consistent .*: FAILED after [\d.]+s: 10\.5\.0\.2 sees members \[node-2#1, node-3#2, node-4#3\] but 10\.5\.0\.4 sees \[node-2#1, node-3#2\]/,
    );
    assert.match(printed, /FAILED after [\d.]+s: 10\.5\.0\.5: its clock is 65\.0 s behind this machine's/);
    assert.equal(cluster.asked.get(`clock ${WORKER}`), 1, "tried once after the deadline");
  });

  test("an unreachable node fails the apid check with the reason, naming only that node", async () => {
    const cluster = new FakeCluster();
    cluster.unreachable.add(CP[1]!);
    const { report } = await check(cluster, { timeoutMs: 50 });
    const apid = report.checks.find((c) => c.id === "apid");
    assert.equal(apid?.outcome, "failed");
    assert.equal(apid?.message, "10.5.0.3: Cannot reach node 10.5.0.3 from this node: connection refused");
  });

  test("etcd errors of a member fail the etcd check", async () => {
    const cluster = new FakeCluster();
    cluster.etcdErrors = (node) => (node === CP[0] ? ["NOSPACE"] : []);
    const { report } = await check(cluster, { timeoutMs: 50 });
    assert.equal(report.checks.find((c) => c.id === "etcd")?.message, "10.5.0.2: etcd reports: NOSPACE");
  });

  test("without node lists, nodes come from the endpoint's members and the context's nodes, roles from Members", async () => {
    const cluster = new FakeCluster();
    cluster.etcdView = () => [member(CP[0]!, 1n), member(CP[1]!, 2n)];
    cluster.memberResources.set(CP[1], [
      { hostname: hostnameOf(CP[1]!), machineType: "controlplane", addresses: [`${CP[1]}/24`] },
    ]);
    const { report, events } = await check(cluster, {
      controlPlaneNodes: [],
      workerNodes: [],
      context: { ca: "", crt: "", key: "", endpoints: [CP[0]!], nodes: [CP[0]!, CP[1]!, "10.5.0.99"] },
    });
    const discovered = events.find((e) => e.kind === "discovered");
    assert.deepEqual(discovered?.kind === "discovered" ? discovered.nodes : undefined, [
      { address: CP[0], machineType: "controlplane" },
      { address: CP[1], machineType: "controlplane" },
      { address: WORKER, machineType: "worker" },
      { address: "10.5.0.99", machineType: "unknown" },
    ]);
    assert.equal(report.ok, true);
  });

  test("when the endpoint never lists its members, discovery is the failed check", async () => {
    const cluster = new FakeCluster();
    cluster.memberResources.clear();
    const { report } = await check(cluster, { controlPlaneNodes: [], workerNodes: [], timeoutMs: 30 });
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.outcome, c.message]),
      [["discovery", "failed", "no answer"]],
    );
  });

  test("an interrupt fails the check under way and runs no more", async () => {
    const cluster = new FakeCluster();
    cluster.status = () => ({ stage: "booting", ready: false, unmetConditions: [] });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const { report } = await check(cluster, { signal: abort.signal, timeoutMs: 60_000 });
    assert.deepEqual(
      report.checks.filter((c) => c.outcome === "failed").map((c) => [c.id, c.message.split(":")[0]]),
      [
        ["ready", "interrupted"],
        ["etcd", "not run"],
        ["etcd-members", "not run"],
        ["time", "not run"],
      ],
    );
  });
});

describe("etcdMembersProblem", () => {
  const planes = CP.map((address) => ({ address, hostname: hostnameOf(address) }));
  const same = (members: EtcdMemberEntry[]): EtcdMembersView => new Map(CP.map((node) => [node, members]));
  const cases: [string, EtcdMembersView, typeof planes, string | undefined][] = [
    ["every plane sees one member per plane", same(MEMBERS), planes, undefined],
    [
      "members matched by name when their URLs name another address",
      same(MEMBERS.map((m) => ({ ...m, clientUrls: ["https://192.0.2.1:2379"] }))),
      planes,
      undefined,
    ],
    [
      "a short name matches a fully qualified hostname",
      same(MEMBERS.map((m) => ({ ...m, clientUrls: [] }))),
      planes.map((p) => ({ ...p, hostname: `${p.hostname}.example.com` })),
      undefined,
    ],
    [
      "a plane without a member",
      same(MEMBERS.slice(0, 2)),
      planes,
      "no etcd member for control plane 10.5.0.4",
    ],
    [
      "a member of no plane (a dead node's)",
      same([...MEMBERS, member("10.5.0.77", 9n)]),
      planes,
      "etcd members of no known control plane: node-77#9",
    ],
    [
      "a learner still catching up",
      same(MEMBERS.map((m) => (m.id === 3n ? { ...m, isLearner: true } : m))),
      planes,
      "still catching up (learners): node-4#3",
    ],
    [
      "no control plane at all",
      new Map(),
      [],
      "no control-plane node to ask: name them with --control-plane-nodes",
    ],
  ];
  for (const [name, views, controlPlanes, expected] of cases) {
    test(name, () => assert.equal(etcdMembersProblem(views, controlPlanes), expected));
  }
});

describe("clockProblem", () => {
  const at = (skewMs: number, roundTripMs = 0): ClockReading => ({
    sentAt: 1_000_000,
    nodeTime: 1_000_000 + roundTripMs / 2 + skewMs,
    receivedAt: 1_000_000 + roundTripMs,
  });
  test("within 5 s either way is in sync; beyond it is named with its direction", () => {
    assert.equal(clockProblem(at(4_900)), undefined);
    assert.equal(clockProblem(at(-4_900)), undefined);
    assert.equal(clockProblem(at(7_000)), "its clock is 7.0 s ahead of this machine's");
    assert.equal(clockProblem(at(-7_000)), "its clock is 7.0 s behind this machine's");
  });
  test("a slow round trip widens the margin by half its length: the reading was taken within it", () => {
    assert.equal(clockProblem({ sentAt: 0, nodeTime: 10_500, receivedAt: 10_000 }), undefined);
    assert.notEqual(clockProblem({ sentAt: 0, nodeTime: 16_000, receivedAt: 10_000 }), undefined);
  });
  test("a node that says its clock is not synchronised fails, with its words", () => {
    assert.equal(
      clockProblem({ ...at(0), synced: { synced: false, message: "NTP unreachable" } }),
      "the node's clock is not synchronised: NTP unreachable",
    );
  });
});
