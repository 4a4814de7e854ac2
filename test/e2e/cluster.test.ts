/**
 * End-to-end: a local cluster of 3 control planes and 1 worker, each node a sandbox (machined as PID 1
 * on the image's read-only squashfs, its own namespaces and cgroup) running the real containerd, runc
 * and etcd, created and destroyed by the real `stelectl cluster` commands. Walks what a user does on
 * day one and on a bad day: health, the etcd leader killed, a reboot, a no-reboot change, snapshot →
 * wipe → recover, a worker reset, and a destroy that must leave nothing behind.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { issueCertificate, parseSecretsBundle } from "../../src/machinery/pki/index.ts";
import { eventually as retry } from "./local-node.ts";
import { type StelectlRun, stelectlRunner } from "./stelectl-runner.ts";

/** Retries until `fn` returns a value; the error names what was awaited. */
async function eventually<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  try {
    return await retry(fn, timeoutMs);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}

const NAME = `e2e${Math.floor(Math.random() * 0xffff).toString(16)}`;
/** A /28 of this run's own inside 10.250.0.0/16, so two runs never collide. */
const NET = `10.250.${Math.floor(Math.random() * 250)}`;
const CIDR = `${NET}.0/28`;
const CP = [2, 3, 4].map((host) => `${NET}.${host}`);
const WORKER = `${NET}.5`;

let dir = "";
let clusterDir = "";
let clientConfig = "";
let etcdctlTls: string[] = [];

const { run: stelectl, ok } = stelectlRunner(() => clientConfig);

function etcdctl(args: readonly string[]): StelectlRun {
  const result = spawnSync(
    "etcdctl",
    [`--endpoints=${CP.map((ip) => `https://${ip}:2379`).join(",")}`, ...etcdctlTls, ...args],
    { encoding: "utf8", timeout: 20_000, env: { ...process.env, ETCDCTL_API: "3" } },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The host PID of the etcd process of a node, found by its `--name`. */
function etcdPid(member: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith("etcd")) continue;
    const name =
      argv.find((arg) => arg.startsWith("--name="))?.slice("--name=".length) ??
      argv[argv.indexOf("--name") + 1];
    if (name === member) return Number(entry);
  }
  return undefined;
}

function healthy(): boolean {
  const run = stelectl(
    ["health", "--control-plane-nodes", CP.join(","), "--worker-nodes", WORKER, "--wait-timeout", "5s"],
    60_000,
  );
  return run.status === 0;
}

async function waitHealthy(what: string): Promise<void> {
  await eventually(() => (healthy() ? true : undefined), 180_000, what);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-cluster-e2e-"));
  clientConfig = join(dir, "stelectlconfig");
  clusterDir = join(dir, "clusters", NAME);
});

after(() => {
  // Whatever happened, nothing of the cluster may stay: destroy is idempotent on half-made clusters.
  const run = stelectl(["cluster", "destroy", "--name", NAME, "--state-dir", join(dir, "clusters")], 180_000);
  if (run.status !== 0) process.stderr.write(`cluster destroy in cleanup: ${run.stdout}${run.stderr}\n`);
  rmSync(dir, { recursive: true, force: true });
});

describe("a 3+1 local cluster", { timeout: 900_000 }, () => {
  test("cluster create brings up healthy nodes and merges a context", () => {
    const out = ok(
      [
        "cluster",
        "create",
        "--name",
        NAME,
        "--controlplanes",
        "3",
        "--workers",
        "1",
        "--cidr",
        CIDR,
        "--state-dir",
        join(dir, "clusters"),
      ],
      600_000,
    );
    for (const ip of [...CP, WORKER]) assert.match(out, new RegExp(ip.replaceAll(".", "\\.")));
    assert.match(out, /cluster destroy/);
    const config = readFileSync(clientConfig, "utf8");
    assert.match(config, new RegExp(`context: ${NAME}|${NAME}:`));
  });

  test("stelectl health is green and says the Kubernetes checks were skipped", async () => {
    const out = ok(["health", "--control-plane-nodes", CP.join(","), "--worker-nodes", WORKER], 300_000);
    assert.match(out, /SKIP/i);
  });

  test("the real etcdctl with a certificate from the cluster's etcd CA sees the three control planes", async () => {
    const secrets = parseSecretsBundle(readFileSync(join(clusterDir, "secrets.yaml"), "utf8"), {
      file: "secrets.yaml",
    });
    const client = await issueCertificate({
      ca: secrets.certs.etcd,
      commonName: "e2e-etcdctl",
      usage: "client",
      ttlMs: 3_600_000,
    });
    const ca = join(dir, "etcd-ca.crt");
    const crt = join(dir, "etcd-client.crt");
    const key = join(dir, "etcd-client.key");
    writeFileSync(ca, secrets.certs.etcd.crt);
    writeFileSync(crt, client.crt);
    writeFileSync(key, client.key ?? "", { mode: 0o600 });
    etcdctlTls = [`--cacert=${ca}`, `--cert=${crt}`, `--key=${key}`];
    const members = etcdctl(["member", "list", "-w", "json"]);
    assert.equal(members.status, 0, members.stderr);
    const names = (JSON.parse(members.stdout) as { members: { name: string }[] }).members
      .map((m) => m.name)
      .sort();
    assert.deepEqual(
      names,
      [1, 2, 3].map((i) => `${NAME}-controlplane-${i}`),
    );
    assert.equal(etcdctl(["put", "e2e/before-snapshot", "kept"]).status, 0);
    // stelectl's view is the same cluster.
    const listed = ok(["-n", CP[1]!, "etcd", "members"]);
    for (const name of names) assert.match(listed, new RegExp(name));
  });

  test("killing the etcd leader's process: etcd is writable again and health turns green", async () => {
    const status = ok(["-n", CP.join(","), "etcd", "status"]);
    // NODE MEMBER … LEADER …: the leader's row is the one whose member id is the leader id.
    const rows = status
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(/\s+/));
    const leaderRow = rows.find((cells) => cells[1] !== undefined && cells.indexOf(cells[1], 2) > 1);
    const leaderIndex = leaderRow ? CP.indexOf(leaderRow[0]!) : -1;
    const leader = leaderIndex >= 0 ? `${NAME}-controlplane-${leaderIndex + 1}` : undefined;
    assert.ok(leader, `no leader found in:\n${status}`);
    const pid = etcdPid(leader);
    assert.ok(pid, `no etcd process of ${leader}`);
    process.kill(pid, "SIGKILL");
    await eventually(
      () => (etcdctl(["put", "e2e/after-kill", "yes"]).status === 0 ? true : undefined),
      60_000,
      "etcd writable after the leader was killed",
    );
    await waitHealthy("health after the leader was killed");
    assert.notEqual(etcdPid(leader), pid, "the killed etcd was restarted as a new process");
  });

  test("a control plane rebooted through the API comes back and rejoins", async () => {
    const pidFile = join(clusterDir, "nodes", `${NAME}-controlplane-3`, "node.pid");
    const before = readFileSync(pidFile, "utf8").trim();
    ok(["-n", CP[2]!, "reboot"]);
    // A reboot is a new PID 1 in a new PID namespace: the keeper records its host PID anew.
    await eventually(
      () => {
        try {
          const now = readFileSync(pidFile, "utf8").trim();
          return now !== "" && now !== before ? now : undefined;
        } catch {
          return undefined; // between two boots
        }
      },
      120_000,
      "a new PID 1 of the rebooted node",
    );
    await waitHealthy("health after a control-plane reboot");
  });

  test("a no-reboot change of hostname and sysctl shows in the resources", async () => {
    const patched = join(dir, "worker-patch.yaml");
    writeFileSync(
      patched,
      'apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\nnetwork:\n  hostname: renamed-worker\nsysctls:\n  net.ipv4.ip_forward: "1"\n',
    );
    const current = ok(["-n", WORKER, "get", "machineconfig", "-o", "yaml"]);
    assert.match(current, /kind: MachineConfig/);
    const configFile = join(clusterDir, "nodes", `${NAME}-worker-1`, "state", "config.yaml");
    const merged = join(dir, "worker-renamed.yaml");
    writeFileSync(merged, ok(["machineconfig", "patch", configFile, "--patch", `@${patched}`]));
    ok(["-n", WORKER, "apply-config", "--mode", "no-reboot", "-f", merged]);
    await eventually(
      () => (/renamed-worker/.test(stelectl(["-n", WORKER, "get", "hostname"]).stdout) ? true : undefined),
      30_000,
      "hostname resource",
    );
    await eventually(
      () => {
        const kps = stelectl(["-n", WORKER, "get", "kernelparamstatus", "net.ipv4.ip_forward", "-o", "json"]);
        return /"current":\s*"1"/.test(kps.stdout) ? true : undefined;
      },
      30_000,
      "KernelParamStatus of net.ipv4.ip_forward",
    );
    const inside = spawnSync(
      "ip",
      ["netns", "exec", `stele-${NAME}-${NAME}-worker-1`, "cat", "/proc/sys/net/ipv4/ip_forward"],
      { encoding: "utf8" },
    );
    assert.equal(inside.stdout.trim(), "1", inside.stderr);
  });

  test("snapshot → wipe every control plane's etcd → bootstrap --recover-from restores the data", async () => {
    const snapshot = join(dir, "etcd.snapshot");
    ok(["-n", CP[0]!, "etcd", "snapshot", snapshot], 120_000);
    assert.equal(etcdctl(["put", "e2e/after-snapshot", "lost"]).status, 0);
    for (const ip of CP) {
      ok(["-n", ip, "reset", "--graceful=false", "--reboot", "--system-labels-to-wipe", "EPHEMERAL"]);
    }
    await eventually(
      () =>
        /waiting to join|bootstrap/i.test(
          stelectl(["-n", CP[0]!, "get", "machinestatus", "-o", "yaml"]).stdout,
        )
          ? true
          : undefined,
      120_000,
      "etcd waiting for bootstrap after the wipe",
    );
    ok(["-n", CP[0]!, "bootstrap", "--recover-from", snapshot], 120_000);
    await waitHealthy("health after the recovery");
    const kept = etcdctl(["get", "e2e/before-snapshot", "--print-value-only"]);
    assert.equal(kept.stdout.trim(), "kept");
    const lost = etcdctl(["get", "e2e/after-snapshot", "--print-value-only"]);
    assert.equal(lost.stdout.trim(), "");
  });

  test("a worker reset boots into maintenance mode", async () => {
    const consoleLog = join(clusterDir, "nodes", `${NAME}-worker-1`, "console.log");
    const FINGERPRINT = /maintenance mode: API certificate fingerprint/g;
    const before = readFileSync(consoleLog, "utf8").match(FINGERPRINT)?.length ?? 0;
    ok(["-n", WORKER, "reset", "--graceful=false", "--reboot"]);
    await eventually(
      () => ((readFileSync(consoleLog, "utf8").match(FINGERPRINT)?.length ?? 0) > before ? true : undefined),
      120_000,
      "the worker in maintenance mode after its reset, showing a new certificate fingerprint",
    );
    assert.equal(stelectl(["-n", WORKER, "version"], 20_000).status === 0, false, "mTLS refused: no config");
  });

  test("cluster destroy leaves no process, mount, loop device, namespace, link, cgroup or directory", () => {
    const out = ok(["cluster", "destroy", "--name", NAME, "--state-dir", join(dir, "clusters")], 180_000);
    assert.doesNotMatch(out, /left over|leftover/i);
    const links = spawnSync("ip", ["-o", "link"], { encoding: "utf8" }).stdout;
    assert.doesNotMatch(links, new RegExp(NAME));
    const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    assert.doesNotMatch(netns, new RegExp(NAME));
    const loops = spawnSync("losetup", ["-a"], { encoding: "utf8" }).stdout;
    assert.doesNotMatch(loops, new RegExp(NAME));
    assert.equal(etcdPid(`${NAME}-controlplane-1`), undefined);
    assert.throws(() => readdirSync(clusterDir));
    for (const hierarchy of readdirSync("/sys/fs/cgroup")) {
      assert.throws(
        () => readdirSync(join("/sys/fs/cgroup", hierarchy, "stele", NAME)),
        `cgroup ${hierarchy}`,
      );
    }
  });
});
