import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../system/manual-clock.ts";
import { ETCD_WAITING_MESSAGE, type JoinAttempt, joinEtcdCluster, waitForEtcdStart } from "./etcd-start.ts";
import { FakeEtcdCluster } from "./testing/fake-etcd.ts";

const PEER = "https://10.5.0.4:2380";

test("joining adds this node through the first member that answers, named in the initial cluster", async () => {
  const cluster = new FakeEtcdCluster();
  const cp1 = cluster.addStarted("cp-1", "10.5.0.2");
  cluster.addStarted("cp-2", "10.5.0.3");
  cluster.answering.delete("https://10.5.0.2:2379"); // cp-1 is down
  const attempt = await joinEtcdCluster({
    candidates: ["https://10.5.0.2:2379", "https://10.5.0.3:2379"],
    name: "cp-3",
    peerUrl: PEER,
    connect: (endpoints) => cluster.connect(endpoints),
    log: () => {},
  });
  assert.ok(attempt.joined);
  assert.deepEqual(
    { through: attempt.through, initialCluster: attempt.initialCluster },
    {
      through: "https://10.5.0.3:2379",
      initialCluster: `cp-1=https://10.5.0.2:2380,cp-2=https://10.5.0.3:2380,cp-3=${PEER}`,
    },
  );
  assert.equal(cluster.members.length, 3);
  // Added as a learner (no 5 s strict-reconfiguration wait), promoted once it has caught up.
  assert.equal(cluster.members.find((m) => m.id === attempt.memberId)?.isLearner, true);
  assert.ok(cluster.members.some((m) => m.id === cp1.id));
});

test("a member with this node's peer URL (a previous life without data) is removed and added again", async () => {
  const cluster = new FakeEtcdCluster();
  cluster.addStarted("cp-1", "10.5.0.2");
  const stale = cluster.addStarted("cp-3", "10.5.0.4");
  cluster.answering.delete("https://10.5.0.4:2379");
  const logged: string[] = [];
  const attempt = await joinEtcdCluster({
    candidates: ["https://10.5.0.2:2379"],
    name: "cp-3",
    peerUrl: PEER,
    connect: (endpoints) => cluster.connect(endpoints),
    log: (m) => logged.push(m),
  });
  assert.equal(attempt.joined, true);
  assert.ok(!cluster.members.some((m) => m.id === stale.id), "the stale member is gone");
  assert.equal(cluster.members.filter((m) => m.peerUrls.includes(PEER)).length, 1);
  assert.match(logged[0]!, /^Removing etcd member cp-3 .* with this node's peer URL/);
  assert.deepEqual(
    cluster.calls.map((c) => c.split(" ")[1]),
    ["memberList", "memberRemove", "memberAdd"],
  );
});

test("a refusal or nobody answering is not a join, with the reason", async () => {
  const cluster = new FakeEtcdCluster();
  cluster.addStarted("cp-1", "10.5.0.2");
  cluster.refuseNextChange = "etcdserver: unhealthy cluster";
  const connect = (endpoints: readonly string[]) => cluster.connect(endpoints);
  const refused = await joinEtcdCluster({
    candidates: ["https://10.5.0.2:2379"],
    name: "cp-2",
    peerUrl: PEER,
    connect,
    log: () => {},
  });
  assert.deepEqual(refused, { joined: false, reason: "etcd refused it: etcdserver: unhealthy cluster" });
  const nobody = await joinEtcdCluster({
    candidates: ["https://10.5.0.9:2379"],
    name: "cp-2",
    peerUrl: PEER,
    connect,
    log: () => {},
  });
  assert.equal(nobody.joined, false);
  assert.match((nobody as { reason: string }).reason, /^no etcd answers at https:\/\/10\.5\.0\.9:2379/);
  const none = await joinEtcdCluster({ candidates: [], name: "cp-2", peerUrl: PEER, connect, log: () => {} });
  assert.match((none as { reason: string }).reason, /no other control plane is known/);
});

/** A start decision driven by a manual clock, with switches for what the node sees. */
function decision(options: { join?: () => JoinAttempt } = {}) {
  const clock = new ManualClock();
  const state = { data: false, bootstrap: false, attempts: 0 };
  const logged: { at: number; message: string }[] = [];
  const wakers = new Set<() => void>();
  const controller = new AbortController();
  const plan = waitForEtcdStart({
    hasData: () => state.data,
    bootstrapRequested: () => state.bootstrap,
    tryJoin: async () => {
      state.attempts++;
      return options.join?.() ?? { joined: false, reason: "no etcd answers" };
    },
    changed: (signal) =>
      new Promise((resolve) => {
        wakers.add(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      }),
    log: (message) => logged.push({ at: clock.now(), message }),
    clock,
    signal: controller.signal,
  });
  plan.catch(() => {});
  return {
    clock,
    state,
    logged,
    plan,
    controller,
    wake: () => {
      for (const wake of wakers) wake();
      wakers.clear();
    },
  };
}

test("data in the data directory: etcd restarts on it at once", async () => {
  const clock = new ManualClock();
  const plan = await waitForEtcdStart({
    hasData: () => true,
    bootstrapRequested: () => true,
    tryJoin: () => assert.fail("no join with data"),
    changed: () => new Promise(() => {}),
    log: () => {},
    clock,
    signal: new AbortController().signal,
  });
  assert.deepEqual(plan, { kind: "restart" });
});

test("without data etcd waits, retrying the join and saying every 10 s how to bootstrap", async () => {
  const d = decision();
  await d.clock.advance(25_000);
  const waiting = d.logged.filter((l) => l.message === ETCD_WAITING_MESSAGE).map((l) => l.at);
  assert.deepEqual(waiting, [0, 10_000, 20_000]);
  assert.ok(d.state.attempts >= 12, `join retried every 2 s: ${d.state.attempts} attempts`);
  assert.ok(d.logged.some((l) => l.message === "Cannot join an etcd cluster yet: no etcd answers"));
  d.controller.abort();
  await assert.rejects(d.plan);
  assert.equal(d.clock.pendingTimers, 0, "no timer left after the abort");
});

test("a bootstrap request ends the wait at once, without waiting for the next retry", async () => {
  const d = decision();
  await d.clock.advance(100);
  d.state.bootstrap = true;
  d.wake();
  assert.deepEqual(await d.plan, { kind: "bootstrap" });
});

test("a join that succeeds on a later attempt starts etcd as an existing member", async () => {
  let calls = 0;
  const d = decision({
    join: () =>
      ++calls < 3
        ? { joined: false, reason: "unhealthy cluster" }
        : { joined: true, initialCluster: "a=x,b=y", through: "https://10.5.0.2:2379", memberId: 7n },
  });
  await d.clock.advance(4_000);
  assert.deepEqual(await d.plan, {
    kind: "join",
    initialCluster: "a=x,b=y",
    through: "https://10.5.0.2:2379",
    memberId: 7n,
  });
});
