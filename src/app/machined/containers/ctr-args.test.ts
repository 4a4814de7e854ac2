import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerSpec } from "./container-spec.ts";
import { ctrCleanupCommands, ctrRunArgs } from "./ctr-args.ts";

const target = { address: "/system/run/containerd/containerd.sock", namespace: "system" };
const etcd: ContainerSpec = {
  id: "etcd",
  image: "registry.k8s.io/etcd:3.5.16-0",
  command: ["/usr/local/bin/etcd", "--name=cp-1"],
  env: { GOMAXPROCS: "2" },
  mounts: [
    { source: "/var/lib/etcd", destination: "/var/lib/etcd" },
    { source: "/system/secrets/etcd", destination: "/system/secrets/etcd", readOnly: true },
  ],
  hostNetwork: true,
};

test("ctr run is attached, removes the container, and names socket and namespace first", () => {
  const args = ctrRunArgs(etcd, { ...target, cgroupParent: "/stele/c1/cp-1", hostNetns: "/proc/1/ns/net" });
  assert.deepEqual(args.slice(0, 6), ["--address", target.address, "--namespace", "system", "run", "--rm"]);
  assert.ok(!args.includes("--detach") && !args.includes("-d"), "attached: its output is the service's log");
});

test("ctr run puts the container in the node's cgroup, on the node's network, with its mounts and env", () => {
  const args = ctrRunArgs(etcd, { ...target, cgroupParent: "/stele/c1/cp-1", hostNetns: "/proc/1/ns/net" });
  const value = (flag: string) => args.filter((_, i) => args[i - 1] === flag);
  assert.deepEqual(value("--cgroup"), ["/stele/c1/cp-1/system/etcd"]);
  assert.deepEqual(value("--with-ns"), ["network:/proc/1/ns/net"]);
  assert.ok(!args.includes("--net-host"), "--net-host would need /etc/hosts on the read-only root");
  assert.deepEqual(value("--mount"), [
    "type=bind,src=/var/lib/etcd,dst=/var/lib/etcd,options=rbind:rw",
    "type=bind,src=/system/secrets/etcd,dst=/system/secrets/etcd,options=rbind:ro",
  ]);
  assert.deepEqual(value("--env"), ["GOMAXPROCS=2"]);
});

test("ctr run ends with the image, the container id and the command", () => {
  const args = ctrRunArgs(etcd, { ...target, cgroupParent: "/", hostNetns: "/proc/1/ns/net" });
  assert.deepEqual(args.slice(-4), [
    "registry.k8s.io/etcd:3.5.16-0",
    "etcd",
    "/usr/local/bin/etcd",
    "--name=cp-1",
  ]);
  assert.deepEqual(
    args.filter((_, i) => args[i - 1] === "--cgroup"),
    ["/system/etcd"],
  );
});

test("a container without host network gets its own network namespace", () => {
  const args = ctrRunArgs(
    { ...etcd, hostNetwork: false },
    { ...target, cgroupParent: "/", hostNetns: "/proc/1/ns/net" },
  );
  assert.ok(!args.includes("--with-ns") && !args.includes("--net-host"));
});

test("a mount path ctr cannot express is refused before anything runs", () => {
  for (const source of ["relative/dir", "/a,b"]) {
    assert.throws(
      () =>
        ctrRunArgs(
          { ...etcd, mounts: [{ source, destination: "/x" }] },
          { ...target, cgroupParent: "/", hostNetns: "/proc/1/ns/net" },
        ),
      { code: "invalid-argument" },
    );
  }
  assert.throws(
    () =>
      ctrRunArgs(
        { ...etcd, env: { "A=B": "c" } },
        { ...target, cgroupParent: "/", hostNetns: "/proc/1/ns/net" },
      ),
    {
      code: "invalid-argument",
    },
  );
});

test("cleanup kills every process of a stale task, then deletes the task and the container", () => {
  assert.deepEqual(
    ctrCleanupCommands("etcd", target).map((args) => args.slice(4)),
    [
      ["tasks", "kill", "--all", "--signal", "SIGKILL", "etcd"],
      ["tasks", "delete", "--force", "etcd"],
      ["containers", "delete", "etcd"],
    ],
  );
  for (const args of ctrCleanupCommands("etcd", target))
    assert.deepEqual(args.slice(0, 4), ["--address", target.address, "--namespace", "system"]);
});
