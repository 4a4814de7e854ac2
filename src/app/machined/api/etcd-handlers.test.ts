/**
 * The etcd RPCs over real gRPC on a unix socket, with a fake EtcdControl behind them: what a client
 * sends reaches the node's etcd as it was meant, and what etcd answers or refuses reaches the client.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type {
  EtcdRecoverResponse,
  EtcdSnapshotResponse,
} from "../../../machinery/api/machine/v1alpha1/etcd.ts";
import {
  MachineServiceClient,
  MachineServiceService,
} from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../../machinery/errors.ts";
import type { EtcdControl, EtcdMemberStatusInfo } from "../etcd/etcd-control.ts";
import { call, callError, collect, startMachined } from "../testing/machined-fixture.ts";
import { type EtcdHandlerHost, etcdHandlers, SNAPSHOT_CHUNK_BYTES } from "./etcd-handlers.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** An EtcdControl that records what it was asked and answers from fields a test sets. */
class FakeEtcd implements EtcdControl {
  calls: string[] = [];
  bootstrapped = false;
  uploaded: Buffer | undefined;
  snapshotChunks: Uint8Array[] = [];
  removed: bigint[] = [];

  async bootstrap(options: { recover: boolean; skipHashCheck: boolean }) {
    this.calls.push(`bootstrap recover=${options.recover} skipHashCheck=${options.skipHashCheck}`);
    if (this.bootstrapped) {
      throw new SteleError(
        "failed-precondition",
        "etcd is bootstrapped already: its data directory is not empty",
        "Bootstrap once per cluster; other control planes join by themselves",
      );
    }
    this.bootstrapped = true;
  }
  async uploadSnapshot(chunks: AsyncIterable<Uint8Array>) {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(Buffer.from(chunk));
    this.uploaded = Buffer.concat(parts);
  }
  async members(options: { local: boolean }) {
    this.calls.push(`members local=${options.local}`);
    return [
      {
        id: 0x8e9e05c52164694dn,
        name: "cp-1",
        peerUrls: ["https://10.5.0.2:2380"],
        clientUrls: ["https://10.5.0.2:2379"],
        isLearner: false,
      },
      {
        id: 0xfedcba9876543210n,
        name: "cp-2",
        peerUrls: ["https://10.5.0.3:2380"],
        clientUrls: [],
        isLearner: true,
      },
    ];
  }
  async status(): Promise<EtcdMemberStatusInfo> {
    return {
      memberId: 0x8e9e05c52164694dn,
      version: "3.5.16",
      dbSize: 20480,
      dbSizeInUse: 16384,
      leader: 0x8e9e05c52164694dn,
      raftIndex: 42n,
      raftTerm: 2n,
      raftAppliedIndex: 42n,
      errors: ["NOSPACE"],
      isLearner: false,
    };
  }
  async *snapshot() {
    for (const chunk of this.snapshotChunks) yield chunk;
  }
  async leave() {
    this.calls.push("leave");
  }
  async removeMember(id: bigint) {
    this.removed.push(id);
  }
  async forfeitLeadership() {
    return "cp-2";
  }
  async defragment() {
    this.calls.push("defragment");
  }
  async alarms() {
    return [
      { memberId: 1n, alarm: "NOSPACE" },
      { memberId: 2n, alarm: "CORRUPT" },
    ];
  }
  async disarmAlarms() {
    return [{ memberId: 1n, alarm: "NOSPACE" }];
  }
}

let dir: string;
let server: Server;
let client: MachineServiceClient;
let noEtcdClient: MachineServiceClient;
let etcd: FakeEtcd;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "etcd-handlers-"));
  server = new Server();
  // Two services on two sockets would need two servers; one node with etcd and one without suffice.
  const host: EtcdHandlerHost = {
    logger: quiet,
    hostname: () => "cp-1",
    get etcd() {
      return etcd;
    },
  };
  server.addService(MachineServiceService, etcdHandlers(host) as unknown as UntypedServiceImplementation);
  await bind(server, join(dir, "etcd.sock"));
  client = new MachineServiceClient(`unix://${join(dir, "etcd.sock")}`, credentials.createInsecure());
  const without = new Server();
  without.addService(
    MachineServiceService,
    etcdHandlers({
      logger: quiet,
      hostname: () => "worker-1",
      etcd: undefined,
    }) as unknown as UntypedServiceImplementation,
  );
  await bind(without, join(dir, "none.sock"));
  noEtcdClient = new MachineServiceClient(`unix://${join(dir, "none.sock")}`, credentials.createInsecure());
  servers.push(server, without);
});
const servers: Server[] = [];

after(() => {
  client.close();
  noEtcdClient.close();
  for (const s of servers) s.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  etcd = new FakeEtcd();
});

function bind(target: Server, socket: string): Promise<void> {
  return new Promise((resolve, reject) =>
    target.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

/** Uploads `chunks` with EtcdRecover. */
function recover(chunks: Buffer[]): Promise<{ reply?: EtcdRecoverResponse; error?: ServiceError }> {
  return new Promise((resolve) => {
    const stream = client.etcdRecover(new Metadata(), {}, (error, reply) =>
      resolve(error ? { error } : { reply }),
    );
    for (const bytes of chunks) stream.write({ bytes });
    stream.end();
  });
}

describe("Bootstrap", () => {
  test("passes the recovery flags to etcd and acknowledges, tagged with the node", async () => {
    const reply = await call(client.bootstrap.bind(client), {
      recoverEtcd: true,
      recoverSkipHashCheck: true,
    });
    assert.deepEqual(etcd.calls, ["bootstrap recover=true skipHashCheck=true"]);
    assert.equal(reply.messages[0]?.metadata?.hostname, "cp-1");
  });

  test("a second bootstrap is refused with etcd's reason and hint", async () => {
    await call(client.bootstrap.bind(client), { recoverEtcd: false, recoverSkipHashCheck: false });
    const error = await callError(client.bootstrap.bind(client), {
      recoverEtcd: false,
      recoverSkipHashCheck: false,
    });
    assert.equal(error.code, status.FAILED_PRECONDITION);
    assert.match(error.details, /bootstrapped already/);
    assert.match(String(error.metadata.get("x-stele-hint")[0]), /once per cluster/);
  });
});

describe("a node without etcd", () => {
  test("refuses every etcd RPC as a failed precondition that says where etcd runs", async () => {
    const calls = [
      callError(noEtcdClient.bootstrap.bind(noEtcdClient), {
        recoverEtcd: false,
        recoverSkipHashCheck: false,
      }),
      callError(noEtcdClient.etcdMemberList.bind(noEtcdClient), { queryLocal: false }),
      callError(noEtcdClient.etcdStatus.bind(noEtcdClient), {}),
      callError(noEtcdClient.etcdLeaveCluster.bind(noEtcdClient), {}),
      callError(noEtcdClient.etcdRemoveMember.bind(noEtcdClient), { memberId: 5n }),
      callError(noEtcdClient.etcdForfeitLeadership.bind(noEtcdClient), {}),
      callError(noEtcdClient.etcdDefragment.bind(noEtcdClient), {}),
      callError(noEtcdClient.etcdAlarmList.bind(noEtcdClient), {}),
      callError(noEtcdClient.etcdAlarmDisarm.bind(noEtcdClient), {}),
      collect(noEtcdClient.etcdSnapshot({})).then(
        () => assert.fail("snapshot succeeded"),
        (error: ServiceError) => error,
      ),
    ];
    for (const error of await Promise.all(calls)) {
      assert.equal(error.code, status.FAILED_PRECONDITION, error.message);
      assert.match(error.details, /etcd runs only on control-plane nodes started as a sandbox or on metal/);
    }
  });

  test("machined itself, started without an etcd, answers so", async () => {
    const node = await startMachined(undefined);
    try {
      const error = await callError(node.machine.etcdStatus.bind(node.machine), {});
      assert.equal(error.code, status.FAILED_PRECONDITION);
      assert.match(error.details, /etcd runs only on control-plane nodes/);
    } finally {
      await node.close();
    }
  });
});

describe("EtcdRecover", () => {
  test("hands etcd the chunks in order, whole, and acknowledges", async () => {
    const chunks = [Buffer.from("first "), Buffer.alloc(100_000, 7), Buffer.from(" last")];
    const { reply, error } = await recover(chunks);
    assert.equal(error, undefined);
    assert.equal(reply?.messages[0]?.metadata?.hostname, "cp-1");
    assert.deepEqual(etcd.uploaded, Buffer.concat(chunks));
  });

  test("refused by a node without etcd", async () => {
    const error = await new Promise<ServiceError | null>((resolve) => {
      const stream = noEtcdClient.etcdRecover((e) => resolve(e));
      stream.write({ bytes: Buffer.from("x") });
      stream.end();
    });
    assert.equal(error?.code, status.FAILED_PRECONDITION);
  });
});

describe("EtcdSnapshot", () => {
  test("streams etcd's snapshot in messages of at most 64 KiB, tagged, whole", async () => {
    const big = Buffer.alloc(SNAPSHOT_CHUNK_BYTES * 2 + 10);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    etcd.snapshotChunks = [big, Buffer.from("tail")];
    const messages: EtcdSnapshotResponse[] = await collect(client.etcdSnapshot({}));
    assert.ok(
      messages.every((m) => m.bytes.length <= SNAPSHOT_CHUNK_BYTES && m.metadata?.hostname === "cp-1"),
    );
    assert.deepEqual(Buffer.concat(messages.map((m) => m.bytes)), Buffer.concat([big, Buffer.from("tail")]));
  });
});

describe("reads and maintenance", () => {
  test("EtcdMemberList maps etcd's members, passing query_local", async () => {
    const reply = await call(client.etcdMemberList.bind(client), { queryLocal: true });
    assert.deepEqual(etcd.calls, ["members local=true"]);
    assert.deepEqual(reply.messages[0]?.members, [
      {
        id: 0x8e9e05c52164694dn,
        hostname: "cp-1",
        peerUrls: ["https://10.5.0.2:2380"],
        clientUrls: ["https://10.5.0.2:2379"],
        isLearner: false,
      },
      {
        id: 0xfedcba9876543210n,
        hostname: "cp-2",
        peerUrls: ["https://10.5.0.3:2380"],
        clientUrls: [],
        isLearner: true,
      },
    ]);
  });

  test("EtcdStatus keeps 64-bit ids exact and reports etcd's errors", async () => {
    const reply = await call(client.etcdStatus.bind(client), {});
    const memberStatus = reply.messages[0]?.memberStatus;
    assert.equal(memberStatus?.memberId, 0x8e9e05c52164694dn);
    assert.equal(memberStatus?.protocolVersion, "3.5.16");
    assert.equal(memberStatus?.dbSize, 20480n);
    assert.equal(memberStatus?.dbSizeInUse, 16384n);
    assert.equal(memberStatus?.raftIndex, 42n);
    assert.deepEqual(memberStatus?.errors, ["NOSPACE"]);
  });

  test("alarms are listed and disarmed with their types", async () => {
    const listed = await call(client.etcdAlarmList.bind(client), {});
    assert.deepEqual(listed.messages[0]?.memberAlarms, [
      { memberId: 1n, alarm: "ETCD_ALARM_TYPE_NOSPACE" },
      { memberId: 2n, alarm: "ETCD_ALARM_TYPE_CORRUPT" },
    ]);
    const disarmed = await call(client.etcdAlarmDisarm.bind(client), {});
    assert.deepEqual(disarmed.messages[0]?.memberAlarms, [
      { memberId: 1n, alarm: "ETCD_ALARM_TYPE_NOSPACE" },
    ]);
  });

  test("RemoveMember passes the id; id 0 is refused before etcd is asked", async () => {
    await call(client.etcdRemoveMember.bind(client), { memberId: 0xfedcba9876543210n });
    assert.deepEqual(etcd.removed, [0xfedcba9876543210n]);
    const error = await callError(client.etcdRemoveMember.bind(client), { memberId: 0n });
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.deepEqual(etcd.removed, [0xfedcba9876543210n]);
  });

  test("leave, defragment and forfeit-leadership reach etcd; forfeit names the new leader", async () => {
    await call(client.etcdLeaveCluster.bind(client), {});
    await call(client.etcdDefragment.bind(client), {});
    const forfeit = await call(client.etcdForfeitLeadership.bind(client), {});
    assert.deepEqual(etcd.calls, ["leave", "defragment"]);
    assert.equal(forfeit.messages[0]?.member, "cp-2");
  });
});
