/**
 * `stelectl bootstrap` and `stelectl etcd …` against a fake apid: the real CLI, real TLS and gRPC;
 * only the node's answers are canned (per node, from `x-stele-node`).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ServerReadableStream } from "@grpc/grpc-js";
import { toGrpcStatus } from "../../app/apid/index.ts";
import type { EtcdRecoverRequest } from "../../machinery/api/machine/v1alpha1/etcd.ts";
import type { BootstrapRequest } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../machinery/errors.ts";
import {
  type ClientTestPki,
  type ConfigDir,
  type FakeApid,
  generateClientTestPki,
  makeConfigDir,
  runStelectl,
  startFakeApid,
} from "../client/fake-apid-fixture.ts";
import { formatMemberId, parseMemberId } from "./etcd.ts";

const nodeOf = (call: { metadata: { get(key: string): unknown[] } }) =>
  call.metadata.get("x-stele-node")[0]?.toString() ?? "";

/** The snapshot every node streams: 300 KiB in uneven chunks, so order and completeness show. */
const SNAPSHOT = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 7) % 256));
/** A node whose snapshot stream breaks off half-way. */
const BROKEN = "10.5.0.9";

let pki: ClientTestPki;
let apid: FakeApid;
let configs: ConfigDir;
let config: string;
const bootstraps: { node: string; request: BootstrapRequest }[] = [];
const uploads: { node: string; bytes: Buffer }[] = [];
const removed: bigint[] = [];
const calls: string[] = [];

before(async () => {
  pki = await generateClientTestPki();
  configs = makeConfigDir();
  const meta = (call: Parameters<typeof nodeOf>[0]) => ({ hostname: nodeOf(call) || "self" });
  apid = await startFakeApid(
    {
      machine: {
        bootstrap: (call, callback) => {
          bootstraps.push({ node: nodeOf(call), request: call.request });
          callback(null, { messages: [{ metadata: meta(call) }] });
        },
        etcdRecover: (call: ServerReadableStream<EtcdRecoverRequest, unknown>, callback) => {
          const parts: Buffer[] = [];
          call.on("data", (request: EtcdRecoverRequest) => parts.push(request.bytes));
          call.on("end", () => {
            uploads.push({ node: nodeOf(call), bytes: Buffer.concat(parts) });
            callback(null, { messages: [{ metadata: meta(call) }] });
          });
        },
        etcdMemberList: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: meta(call),
                members: [
                  {
                    id: 0x8e9e05c52164694dn,
                    hostname: "cp-1",
                    peerUrls: ["https://10.5.0.2:2380"],
                    clientUrls: ["https://10.5.0.2:2379"],
                    isLearner: false,
                  },
                  {
                    id: 0x1n,
                    hostname: "cp-2",
                    peerUrls: ["https://10.5.0.3:2380"],
                    clientUrls: ["https://10.5.0.3:2379"],
                    isLearner: true,
                  },
                ],
              },
            ],
          }),
        etcdStatus: (call, callback) =>
          callback(null, {
            messages: [
              {
                metadata: meta(call),
                memberStatus: {
                  memberId: 0x8e9e05c52164694dn,
                  protocolVersion: "3.5.16",
                  dbSize: 4n * 1024n * 1024n,
                  dbSizeInUse: 1024n * 1024n,
                  leader: 0x8e9e05c52164694dn,
                  raftIndex: 1234n,
                  raftTerm: 3n,
                  raftAppliedIndex: 1234n,
                  errors: nodeOf(call) === "10.5.0.3" ? ["NOSPACE"] : [],
                  isLearner: false,
                },
              },
            ],
          }),
        etcdSnapshot: (call) => {
          const broken = nodeOf(call) === BROKEN;
          for (let offset = 0; offset < SNAPSHOT.length; offset += 50_000) {
            if (broken && offset >= 150_000) {
              call.emit(
                "error",
                toGrpcStatus(new SteleError("unavailable", "etcd stopped answering", "Check etcd's log")),
              );
              return;
            }
            call.write({ metadata: meta(call), bytes: SNAPSHOT.subarray(offset, offset + 50_000) });
          }
          call.end();
        },
        etcdRemoveMember: (call, callback) => {
          removed.push(call.request.memberId);
          callback(null, { messages: [{ metadata: meta(call) }] });
        },
        etcdLeaveCluster: (call, callback) => {
          calls.push(`leave ${nodeOf(call)}`);
          callback(null, { messages: [{ metadata: meta(call) }] });
        },
        etcdDefragment: (call, callback) => {
          calls.push(`defrag ${nodeOf(call)}`);
          callback(null, { messages: [{ metadata: meta(call) }] });
        },
        etcdForfeitLeadership: (call, callback) =>
          callback(null, {
            messages: [{ metadata: meta(call), member: nodeOf(call) === "10.5.0.2" ? "cp-2" : "" }],
          }),
        etcdAlarmList: (call, callback) =>
          callback(null, {
            messages: [
              { metadata: meta(call), memberAlarms: [{ memberId: 0x1n, alarm: "ETCD_ALARM_TYPE_NOSPACE" }] },
            ],
          }),
        etcdAlarmDisarm: (call, callback) =>
          callback(null, { messages: [{ metadata: meta(call), memberAlarms: [] }] }),
      },
    },
    { pki },
  );
  config = configs.write("stelectlconfig", {
    endpoints: [apid.address],
    ca: pki.ca.crt,
    crt: pki.admin.crt,
    key: pki.admin.key,
  });
});

after(async () => {
  await apid.close();
  configs.remove();
});

beforeEach(() => {
  bootstraps.length = 0;
  uploads.length = 0;
  removed.length = 0;
  calls.length = 0;
});

const stelectl = (...args: string[]) => runStelectl(["--stelectlconfig", config, ...args]);

describe("stelectl bootstrap", () => {
  test("bootstraps the one node named, without recovery", async () => {
    const run = await stelectl("-n", "10.5.0.2", "bootstrap");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(bootstraps, [
      { node: "10.5.0.2", request: { recoverEtcd: false, recoverSkipHashCheck: false } },
    ]);
    assert.match(run.stdout, /10\.5\.0\.2: etcd bootstrap started/);
  });

  test("refuses several nodes before calling any", async () => {
    const run = await stelectl("-n", "10.5.0.2,10.5.0.3", "bootstrap");
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /error: Bootstrap starts etcd on one control-plane node, not 2/);
    assert.match(run.stderr, /hint: Pass one control-plane node with --nodes/);
    assert.deepEqual(bootstraps, []);
  });

  test("--recover-from uploads the whole file, then bootstraps from it", async () => {
    const file = configs.writeText("db.snapshot", "");
    const content = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < content.length; i++) content[i] = (i * 13) % 251;
    writeFileSync(file, content);
    const run = await stelectl(
      "-n",
      "10.5.0.2",
      "bootstrap",
      "--recover-from",
      file,
      "--recover-skip-hash-check",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]?.node, "10.5.0.2");
    assert.ok(uploads[0]?.bytes.equals(content), "the node got the file byte for byte");
    assert.deepEqual(bootstraps[0]?.request, { recoverEtcd: true, recoverSkipHashCheck: true });
    assert.match(run.stdout, new RegExp(`sha256 ${createHash("sha256").update(content).digest("hex")}`));
  });

  test("refuses a missing snapshot, and --recover-skip-hash-check alone, before any call", async () => {
    const missing = await stelectl("-n", "10.5.0.2", "bootstrap", "--recover-from", "/no/such/snapshot");
    assert.match(missing.stderr, /error: Cannot read the snapshot \/no\/such\/snapshot/);
    const alone = await stelectl("-n", "10.5.0.2", "bootstrap", "--recover-skip-hash-check");
    assert.match(alone.stderr, /--recover-skip-hash-check applies only with --recover-from/);
    assert.deepEqual([bootstraps, uploads], [[], []]);
  });
});

describe("stelectl etcd", () => {
  test("members: one row per member and node, ids in hex as etcd prints them", async () => {
    const run = await stelectl("-n", "10.5.0.2,10.5.0.3", "etcd", "members");
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^NODE\s+ID\s+HOSTNAME\s+PEER URLS\s+CLIENT URLS\s+LEARNER$/);
    assert.equal(lines.length, 5);
    assert.match(
      run.stdout,
      /10\.5\.0\.2\s+8e9e05c52164694d\s+cp-1\s+https:\/\/10\.5\.0\.2:2380\s+https:\/\/10\.5\.0\.2:2379\s+false/,
    );
    assert.match(run.stdout, /10\.5\.0\.3\s+0000000000000001\s+cp-2\s+.*true/);
  });

  test("status: sizes people read, the share in use, and etcd's errors", async () => {
    const run = await stelectl("-n", "10.5.0.2,10.5.0.3", "etcd", "status");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NODE\s+MEMBER\s+DB SIZE\s+IN USE\s+LEADER/);
    assert.match(
      run.stdout,
      /10\.5\.0\.2\s+8e9e05c52164694d\s+4\.0 MiB\s+1\.0 MiB \(25\.00%\)\s+8e9e05c52164694d\s+1234\s+3\s+1234\s+false\n/,
    );
    assert.match(run.stdout, /10\.5\.0\.3 .*NOSPACE/);
  });

  test("snapshot: the whole stream, written 0600, with its size and sha256", async () => {
    const file = join(configs.writeText("placeholder", ""), "..", "backup.db");
    const run = await stelectl("-n", "10.5.0.2", "etcd", "snapshot", file);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(readFileSync(file).equals(SNAPSHOT));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const sha = createHash("sha256").update(SNAPSHOT).digest("hex");
    assert.match(
      run.stdout,
      new RegExp(
        `10\\.5\\.0\\.2: etcd snapshot saved to .*backup\\.db: ${SNAPSHOT.length} bytes \\(300\\.0 KiB\\), sha256 ${sha}`,
      ),
    );
  });

  test("snapshot: a stream that breaks off leaves the older file as it was and no partial file", async () => {
    const file = configs.writeText("kept.db", "the previous backup");
    const run = await stelectl("-n", BROKEN, "etcd", "snapshot", file);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /etcd stopped answering/);
    assert.equal(readFileSync(file, "utf8"), "the previous backup");
    const dir = join(file, "..");
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.includes("partial")),
      [],
    );
  });

  test("snapshot: refuses several nodes", async () => {
    const file = join(configs.writeText("placeholder", ""), "..", "two.db");
    const run = await stelectl("-n", "10.5.0.2,10.5.0.3", "etcd", "snapshot", file);
    assert.match(run.stderr, /etcd snapshot talks to one node, not 2/);
    assert.equal(existsSync(file), false);
  });

  test("remove-member: the hex id reaches the node exactly; a malformed id is refused", async () => {
    const run = await stelectl("-n", "10.5.0.2", "etcd", "remove-member", "8e9e05c52164694d");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(removed, [0x8e9e05c52164694dn]);
    const bad = await stelectl("-n", "10.5.0.2", "etcd", "remove-member", "cp-2");
    assert.match(bad.stderr, /error: Invalid etcd member id: "cp-2"/);
    assert.deepEqual(removed, [0x8e9e05c52164694dn]);
  });

  test("leave, defrag, forfeit-leadership and alarms fan out and say what each node did", async () => {
    const nodes = ["-n", "10.5.0.2,10.5.0.3"];
    assert.match(
      (await stelectl(...nodes, "etcd", "leave")).stdout,
      /10\.5\.0\.2: left the etcd cluster\n10\.5\.0\.3: left/,
    );
    await stelectl(...nodes, "etcd", "defrag");
    assert.deepEqual(calls.sort(), [
      "defrag 10.5.0.2",
      "defrag 10.5.0.3",
      "leave 10.5.0.2",
      "leave 10.5.0.3",
    ]);
    const forfeit = await stelectl(...nodes, "etcd", "forfeit-leadership");
    assert.match(forfeit.stdout, /10\.5\.0\.2\s+cp-2\n10\.5\.0\.3\s+\(this member did not lead\)/);
    const alarms = await stelectl(...nodes, "etcd", "alarm", "list");
    assert.match(alarms.stdout, /^NODE\s+MEMBER\s+ALARM\n10\.5\.0\.2\s+0000000000000001\s+NOSPACE\n/);
    const disarmed = await stelectl(...nodes, "etcd", "alarm", "disarm");
    assert.equal(disarmed.stdout, "NODE   MEMBER   ALARM\n");
  });
});

describe("member ids", () => {
  test("parse as hex with or without 0x, and print back as 16 digits", () => {
    assert.equal(parseMemberId("8e9e05c52164694d"), 0x8e9e05c52164694dn);
    assert.equal(parseMemberId("0x1"), 1n);
    assert.equal(formatMemberId(1n), "0000000000000001");
    for (const id of [1n, 0xffffffffffffffffn, 0x8e9e05c52164694dn]) {
      assert.equal(parseMemberId(formatMemberId(id)), id);
    }
    for (const bad of ["", "0", "xyz", "12345678901234567", "-1"])
      assert.throws(() => parseMemberId(bad), /Invalid etcd member id/);
  });
});
