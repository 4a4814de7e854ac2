import assert from "node:assert/strict";
import { test } from "node:test";
import { etcdArgs, etcdUrl, localClientUrl } from "./etcd-args.ts";

const base = {
  name: "cp-1",
  advertisedAddress: "10.5.0.2",
  dataDir: "/var/lib/etcd",
  pkiDir: "/system/secrets/etcd",
  initialCluster: "cp-1=https://10.5.0.2:2380",
  initialClusterState: "new" as const,
};

function flags(args: readonly string[]): Map<string, string> {
  return new Map(
    args.map((arg) => {
      const match = /^--([^=]+)=(.*)$/.exec(arg);
      assert.ok(match, `not --flag=value: ${arg}`);
      return [match[1]!, match[2]!] as [string, string];
    }),
  );
}

test("etcd serves clients on the node's address and on 127.0.0.1, and peers on the node's address", () => {
  const f = flags(etcdArgs(base));
  assert.equal(f.get("name"), "cp-1");
  assert.equal(f.get("data-dir"), "/var/lib/etcd");
  assert.equal(f.get("listen-client-urls"), "https://10.5.0.2:2379,https://127.0.0.1:2379");
  assert.equal(f.get("advertise-client-urls"), "https://10.5.0.2:2379");
  assert.equal(f.get("listen-peer-urls"), "https://10.5.0.2:2380");
  assert.equal(f.get("initial-advertise-peer-urls"), "https://10.5.0.2:2380");
  assert.equal(f.get("initial-cluster"), "cp-1=https://10.5.0.2:2380");
  assert.equal(f.get("initial-cluster-state"), "new");
  assert.equal(f.get("logger"), "zap");
});

test("both ports require TLS with a client certificate from the etcd CA", () => {
  const f = flags(etcdArgs(base));
  assert.equal(f.get("client-cert-auth"), "true");
  assert.equal(f.get("peer-client-cert-auth"), "true");
  assert.equal(f.get("trusted-ca-file"), "/system/secrets/etcd/ca.crt");
  assert.equal(f.get("peer-trusted-ca-file"), "/system/secrets/etcd/ca.crt");
  assert.equal(f.get("cert-file"), "/system/secrets/etcd/server.crt");
  assert.equal(f.get("key-file"), "/system/secrets/etcd/server.key");
  assert.equal(f.get("peer-cert-file"), "/system/secrets/etcd/peer.crt");
  assert.equal(f.get("peer-key-file"), "/system/secrets/etcd/peer.key");
  for (const [name, value] of f) assert.ok(!value.startsWith("http://"), `${name} is not TLS`);
});

test("extraArgs replace Stele's flag in place and add new ones; the user wins", () => {
  const args = etcdArgs({ ...base, extraArgs: { logger: "capnslog", "quota-backend-bytes": "8589934592" } });
  const f = flags(args);
  assert.equal(f.get("logger"), "capnslog");
  assert.equal(f.get("quota-backend-bytes"), "8589934592");
  assert.equal(args.filter((a) => a.startsWith("--logger=")).length, 1);
  assert.equal(args.at(-1), "--quota-backend-bytes=8589934592");
});

test("IPv6 addresses are bracketed in URLs", () => {
  assert.equal(etcdUrl("fd00::2", 2379), "https://[fd00::2]:2379");
  const f = flags(etcdArgs({ ...base, advertisedAddress: "fd00::2" }));
  assert.equal(f.get("listen-peer-urls"), "https://[fd00::2]:2380");
});

test("a member advertising a loopback address listens only there, and is its own local endpoint", () => {
  const f = flags(etcdArgs({ ...base, advertisedAddress: "127.9.9.2" }));
  assert.equal(f.get("listen-client-urls"), "https://127.9.9.2:2379");
  assert.equal(localClientUrl("127.9.9.2"), "https://127.9.9.2:2379");
  assert.equal(localClientUrl("10.5.0.2"), "https://127.0.0.1:2379");
});
