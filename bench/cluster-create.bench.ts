/**
 * `stelectl cluster create` to a healthy cluster, for 1+1 and 3+1 nodes, and each node's memory at
 * idle. The floor of the time is starting a bare 3-member etcd cluster (the same etcd 3.5.16 the node
 * image runs, with the same TLS: client and peer certificate auth) until every member answers: the
 * one thing a cluster cannot be healthy without. The floor of the memory is one bare etcd member's
 * PSS. The node image is built before timing (a cluster create on a warm machine reuses it).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { defaultAptCacheDir, ensureNodeImages } from "../src/imager/index.ts";
import { generateSecretsBundle, issueCertificate } from "../src/machinery/pki/index.ts";
import { extractDeb } from "../src/pkg/debian/extract-deb.ts";
import { fetchDebs } from "../src/pkg/debian/fetch-debs.ts";
import { alternateRounds, type Benchmark, summarize } from "./harness.ts";

const REPO = join(import.meta.dirname, "..");
const STELECTL = join(REPO, "bin", "stelectl.js");
const ROUNDS = 3;

/** Runs stelectl to completion; throws with its output when it fails. */
function stelectl(args: readonly string[], env: NodeJS.ProcessEnv): void {
  const run = spawnSync(process.execPath, [STELECTL, ...args], { encoding: "utf8", env, timeout: 600_000 });
  if (run.status !== 0) throw new Error(`stelectl ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
}

/** PSS in bytes of a process, from smaps_rollup (0 if it is gone). */
function pss(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return line ? Number(line[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The node's own processes: not its host-side keeper and the `unshare` that starts the sandbox. */
function insideNode(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return !argv.includes("sandbox-keeper") && !argv[0]?.endsWith("unshare");
  } catch {
    return false;
  }
}

/** Every process in a cgroup directory and below it (the pids hierarchy holds every process). */
function cgroupPids(dir: string): number[] {
  const pids: number[] = [];
  const walk = (path: string) => {
    try {
      for (const pid of readFileSync(join(path, "cgroup.procs"), "utf8").split("\n")) {
        if (pid) pids.push(Number(pid));
      }
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(path, entry.name));
      }
    } catch {
      // a cgroup removed while walking
    }
  };
  walk(dir);
  return pids;
}

/** A 3-member etcd cluster with TLS on loopback addresses of its own, until every member answers. */
async function bareEtcdCluster(etcd: string, tls: EtcdTls, round: number): Promise<Round> {
  const base = `127.${60 + round}.7`;
  const ips = [2, 3, 4].map((host) => `${base}.${host}`);
  const dir = mkdtempSync(join(tmpdir(), "stele-bench-etcd-"));
  const initial = ips.map((ip, i) => `m${i}=https://${ip}:2380`).join(",");
  const children: ChildProcess[] = [];
  const started = performance.now();
  try {
    ips.forEach((ip, i) => {
      const child = spawn(
        etcd,
        [
          `--name=m${i}`,
          `--data-dir=${join(dir, `m${i}`)}`,
          `--listen-client-urls=https://${ip}:2379`,
          `--advertise-client-urls=https://${ip}:2379`,
          `--listen-peer-urls=https://${ip}:2380`,
          `--initial-advertise-peer-urls=https://${ip}:2380`,
          `--initial-cluster=${initial}`,
          "--initial-cluster-state=new",
          `--cert-file=${tls.crt}`,
          `--key-file=${tls.key}`,
          `--trusted-ca-file=${tls.ca}`,
          "--client-cert-auth",
          `--peer-cert-file=${tls.crt}`,
          `--peer-key-file=${tls.key}`,
          `--peer-trusted-ca-file=${tls.ca}`,
          "--peer-client-cert-auth",
          "--logger=zap",
          "--log-level=error",
        ],
        { stdio: "ignore" },
      );
      children.push(child);
    });
    const credentials = {
      rootCertificate: readFileSync(tls.ca),
      certChain: readFileSync(tls.crt),
      privateKey: readFileSync(tls.key),
    };
    await Promise.all(
      ips.map(async (ip) => {
        const client = new Etcd3({ hosts: `https://${ip}:2379`, credentials, dialTimeout: 500 });
        try {
          const deadline = Date.now() + 60_000;
          for (;;) {
            try {
              await client.maintenance.status();
              return;
            } catch (error) {
              if (Date.now() > deadline) throw new Error(`etcd at ${ip} did not answer in 60 s: ${error}`);
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          }
        } finally {
          client.close();
        }
      }),
    );
    const ms = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return { ms, pss: [pss(children[0]!.pid!)] };
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One round: its time, and the PSS of each node (or of one etcd member, for the floor). */
interface Round {
  ms: number;
  pss: number[];
  /** Cluster rounds: the workers' PSS (`pss` holds the control planes'). */
  workerPss?: number[];
}

interface EtcdTls {
  ca: string;
  crt: string;
  key: string;
}

/** One create → healthy → (memory) → destroy of a local cluster; returns the create time and PSS per node. */
function localCluster(workdir: string, controlPlanes: number, round: number): Round {
  const name = `bench${controlPlanes}r${round}`;
  const stateDir = join(workdir, "clusters");
  const env = { ...process.env, STELECONFIG: join(workdir, "stelectlconfig") };
  const cidr = `10.252.${controlPlanes * 10 + round}.0/28`;
  const started = performance.now();
  try {
    stelectl(
      [
        "cluster",
        "create",
        "--name",
        name,
        "--controlplanes",
        String(controlPlanes),
        "--workers",
        "1",
      ].concat(["--cidr", cidr, "--state-dir", stateDir]),
      env,
    );
    const ms = performance.now() - started;
    // Idle: let start-up garbage be collected and the services settle before reading memory.
    spawnSync("sleep", ["10"]);
    const nodesDir = join("/sys/fs/cgroup/pids/stele", name);
    const nodePss = (role: string) =>
      readdirSync(nodesDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name.includes(`-${role}-`))
        .map((entry) =>
          cgroupPids(join(nodesDir, entry.name))
            .filter(insideNode)
            .reduce((sum, pid) => sum + pss(pid), 0),
        );
    return { ms, pss: nodePss("controlplane"), workerPss: nodePss("worker") };
  } finally {
    stelectl(["cluster", "destroy", "--name", name, "--state-dir", stateDir], env);
  }
}

const benchmark: Benchmark = {
  name: "cluster-create",
  async run(ctx) {
    ctx.log("cluster-create: building the node image (not timed)");
    await ensureNodeImages({ outputDir: join(REPO, "_out", "images") });
    const workdir = mkdtempSync(join(tmpdir(), "stele-bench-cluster-"));
    try {
      const debs = await fetchDebs(["etcd-server"], { cacheDir: defaultAptCacheDir() });
      const etcdRoot = join(workdir, "etcd-deb");
      await extractDeb(debs[0]!.path, etcdRoot);
      const etcd = join(etcdRoot, "usr", "bin", "etcd");
      const secrets = await generateSecretsBundle();
      const tlsDir = join(workdir, "tls");
      mkdirSync(tlsDir);
      const floorTls: EtcdTls[] = [];
      for (let round = 0; round < ROUNDS; round++) floorTls.push(await roundTls(tlsDir, secrets, round));

      const results = [];
      for (const controlPlanes of [1, 3]) {
        let floorRound = 0;
        let valueRound = 0;
        ctx.log(`cluster-create: ${controlPlanes}+1 nodes, ${ROUNDS} rounds against a bare 3-member etcd`);
        const { floors, values } = await alternateRounds(
          async () => {
            const round = floorRound++;
            return bareEtcdCluster(etcd, floorTls[round]!, round);
          },
          async () => localCluster(workdir, controlPlanes, valueRound++),
          { rounds: ROUNDS, signal: ctx.signal, name: "cluster-create" },
        );
        results.push({
          figure: `create → healthy, ${controlPlanes}+1 nodes (median of ${ROUNDS})`,
          unit: "s",
          value: summarize(values.map((v) => v.ms)).p50 / 1000,
          floor: summarize(floors.map((f) => f.ms)).p50 / 1000,
        });
        if (controlPlanes === 3) {
          const floor = summarize(floors.flatMap((f) => f.pss)).p50 / 1e6;
          results.push(
            {
              figure: "PSS per control plane at idle (median, 3+1)",
              unit: "MB",
              value: summarize(values.flatMap((v) => v.pss)).p50 / 1e6,
              floor,
            },
            {
              figure: "PSS per worker at idle (median, 3+1)",
              unit: "MB",
              value: summarize(values.flatMap((v) => v.workerPss ?? [])).p50 / 1e6,
              floor,
            },
          );
        }
      }
      return results;
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  },
};

/** A peer certificate of the etcd CA for one floor round's loopback addresses, written to files. */
async function roundTls(
  dir: string,
  secrets: Awaited<ReturnType<typeof generateSecretsBundle>>,
  round: number,
): Promise<EtcdTls> {
  // etcd checks a peer certificate against the connection's source address, which is 127.0.0.1 on loopback.
  const ipAddresses = ["127.0.0.1", ...[2, 3, 4].map((host) => `127.${60 + round}.7.${host}`)];
  const leaf = await issueCertificate({
    ca: secrets.certs.etcd,
    commonName: `bench-etcd-${round}`,
    usage: "peer",
    ipAddresses,
    ttlMs: 3_600_000,
  });
  const files = {
    ca: join(dir, `ca-${round}.crt`),
    crt: join(dir, `${round}.crt`),
    key: join(dir, `${round}.key`),
  };
  writeFileSync(files.ca, secrets.certs.etcd.crt);
  writeFileSync(files.crt, leaf.crt);
  writeFileSync(files.key, leaf.key ?? "", { mode: 0o600 });
  return files;
}

export default benchmark;
