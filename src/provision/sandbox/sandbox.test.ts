/**
 * The real thing: sandbox-keeper and sandbox-init boot a tiny squashfs image (testing/test-image.ts)
 * whose `stele.mjs` reports what PID 1 sees (testing/fake-node-program.ts), in a network namespace of
 * the test's own. Needs root, util-linux, iproute2 and squashfs-tools, as `stelectl cluster create`
 * does. Everything made is removed in `after`, even when a test fails.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseMountinfo } from "../../pkg/linux/index.ts";
import { keeperCommand } from "./keeper-command.ts";
import { cgroupHierarchies, parseProcCgroup, removeNodeCgroup } from "./node-cgroup.ts";
import { type NodeDirPaths, nodeDirPaths } from "./node-dir.ts";
import { buildTestImage, FAKE_NODE_PROGRAM } from "./testing/test-image.ts";

const RUN = randomBytes(4).toString("hex");
const NETNS = `stele-test-${RUN}`;
const CGROUP_TOP = `/stele-test-${RUN}`;
const MACHINED_ARGS = ["--platform", "container", "--state-dir", "/system", "--var-dir", "/var"];

let dir: string;
let rootfs: string;
const keepers: ChildProcess[] = [];
const cgroups: string[] = [];

/** A node directory and a running keeper for it. */
interface StartedNode {
  paths: NodeDirPaths;
  keeper: ChildProcess;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  cgroup: string;
}

describe("a sandboxed node", { timeout: 120_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sandbox-"));
    rootfs = await buildTestImage(dir, FAKE_NODE_PROGRAM);
    execFileSync("ip", ["netns", "add", NETNS]);
  });

  after(async () => {
    for (const keeper of keepers) {
      if (keeper.exitCode === null && keeper.signalCode === null) {
        keeper.kill("SIGKILL");
        await once(keeper, "exit");
      }
    }
    // A keeper killed above leaves its node: kill every process of the nodes' cgroups.
    for (const cgroup of cgroups) killCgroup(cgroup);
    for (const cgroup of cgroups) await removeNodeCgroup(cgroup).catch(() => {});
    try {
      execFileSync("ip", ["netns", "del", NETNS], { stdio: "ignore" });
    } catch {
      // Not made: before failed early.
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("boots from the image as PID 1 of its own namespaces, with the contract's mounts", async () => {
    const imageCache = join(dir, "image-cache");
    mkdirSync(imageCache);
    const node = startNode("boot", { imageCache });
    const report = await bootReport(node, 1);
    assert.equal(report.pid, 1);
    assert.equal(report.hostname, "sandbox-boot");
    assert.deepEqual(report.argv, [
      "/usr/bin/node",
      "/usr/lib/stele/stele.mjs",
      "machined",
      ...MACHINED_ARGS,
    ]);
    assert.deepEqual(report.env, { PATH: "/usr/bin:/usr/sbin" });
    assert.equal(report.cwd, "/");
    assert.equal(report.writeRoot, "EROFS");
    // Only the node's processes are visible: PID 1 alone.
    assert.deepEqual(report.processes, ["1"]);

    const mounts = new Map(parseMountinfo(report.mountinfo).map((m) => [m.target, m]));
    const root = mounts.get("/");
    assert.equal(root?.fstype, "squashfs");
    assert.ok(root?.mountOptions.includes("ro"));
    for (const path of ["/system", "/run", "/tmp", "/dev", "/dev/shm"])
      assert.equal(mounts.get(path)?.fstype, "tmpfs", path);
    // Bound from the node dir: the host's filesystem, at the node dir's path inside it.
    for (const [target, source] of [
      ["/var", node.paths.var],
      ["/system/state", node.paths.state],
      ["/system/image-cache", imageCache],
    ] as const) {
      assert.equal(mounts.get(target)?.device, deviceOf(source), target);
      assert.ok(source.endsWith(mounts.get(target)?.root ?? "?"), `${target} is not bound from ${source}`);
    }
    assert.ok(mounts.get("/system/image-cache")?.mountOptions.includes("ro"), "the image cache is writable");
    assert.equal(mounts.get("/proc")?.fstype, "proc");
    assert.equal(mounts.get("/sys")?.fstype, "sysfs");
    assert.equal(mounts.get("/dev/pts")?.fstype, "devpts");
    for (const hierarchy of cgroupHierarchies()) {
      assert.ok(mounts.has(hierarchy.mountPoint), `${hierarchy.mountPoint} is not in the node`);
    }
    // Nothing of the host's tree but what was bound: no mount outside the node's own layout.
    for (const target of mounts.keys()) {
      assert.match(target, /^\/(system|run|tmp|var|proc|sys|dev)?(\/|$)/, target);
    }
    for (const device of [
      "null",
      "zero",
      "full",
      "random",
      "urandom",
      "tty",
      "ptmx",
      "pts",
      "shm",
      "fd",
      "stdin",
      "stdout",
      "stderr",
    ]) {
      assert.ok(report.dev.includes(device), `/dev/${device}`);
    }
    const nodeCgroups = parseProcCgroup(report.cgroup);
    assert.ok(
      [...nodeCgroups.values()].every((path) => path === node.cgroup),
      report.cgroup,
    );

    // Host side: the PID files, and the node's PID 1 in the test's network namespace and cgroup.
    assert.equal(readFileSync(node.paths.keeperPid, "utf8").trim(), String(node.keeper.pid));
    const hostPid = Number(readFileSync(node.paths.nodePid, "utf8"));
    assert.equal(readlinkSync(`/proc/${hostPid}/ns/net`), `net:[${statSync(`/run/netns/${NETNS}`).ino}]`);
    assert.ok(readFileSync(`/proc/${hostPid}/cgroup`, "utf8").includes(node.cgroup));
    assert.match(readFileSync(node.paths.console, "utf8"), /sandbox-keeper\[boot\]: booting \(boot 1\)/);
    // The host's mount table never sees the node's mounts.
    assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(node.paths.dir), false);

    await stopAndCheckNothingLeft(node);
  });

  test("a reboot(2) inside the node boots it again; SIGTERM to the keeper reaches PID 1 and leaves nothing", async () => {
    const node = startNode("reboot");
    await bootReport(node, 1);
    const firstPid = readFileSync(node.paths.nodePid, "utf8");
    writeFileSync(join(node.paths.var, "reboot-1"), "");
    const second = await bootReport(node, 2);
    assert.equal(second.pid, 1);
    assert.notEqual(readFileSync(node.paths.nodePid, "utf8"), firstPid);
    assert.equal(node.keeper.exitCode, null, "the keeper stays through a reboot");
    await stopAndCheckNothingLeft(node);
    assert.equal(readFileSync(join(node.paths.var, "sigterm"), "utf8"), "2", "PID 1 got SIGTERM");
    assert.match(readFileSync(node.paths.console, "utf8"), /booting \(boot 2\)/);
  });

  test("a power-off (PID 1 exits 0) ends the keeper with 0 and leaves nothing", async () => {
    const node = startNode("poweroff");
    await bootReport(node, 1);
    writeFileSync(join(node.paths.var, "poweroff"), "");
    const [code, signal] = await within(node.exited, 10_000, "the keeper did not end after a power-off");
    assert.deepEqual([code, signal], [0, null]);
    await checkNothingLeft(node);
    assert.match(readFileSync(node.paths.console, "utf8"), /powered off/);
  });

  test("a node that crashes is reported and not restarted: the keeper exits 1", async () => {
    const node = startNode("crash");
    await bootReport(node, 1);
    writeFileSync(join(node.paths.var, "crash"), "");
    const [code] = await within(node.exited, 10_000, "the keeper did not end after a crash");
    assert.equal(code, 1);
    assert.match(readFileSync(node.paths.console, "utf8"), /node failed: exited with code 3; not restarting/);
    assert.equal(existsSync(join(node.paths.var, "boot-2.json")), false);
    await checkNothingLeft(node);
  });

  test("a root image that does not mount fails the boot at once, in one line", async () => {
    const notAnImage = join(dir, "not-an-image.sqsh");
    writeFileSync(notAnImage, "this is not a squashfs\n".repeat(1000));
    const node = startNode("badimage", { rootfs: notAnImage });
    const [code] = await within(node.exited, 15_000, "the keeper hung on a bad image");
    assert.equal(code, 1);
    const console = readFileSync(node.paths.console, "utf8");
    const errors = console.split("\n").filter((line) => line.startsWith("sandbox-init[badimage]: error:"));
    assert.equal(errors.length, 1, console);
    assert.match(errors[0]!, /Cannot mount the root filesystem image .*not-an-image\.sqsh/);
    assert.match(console, /node failed: exited with code 1/);
    await checkNothingLeft(node, notAnImage);
  });

  test("a keeper with a missing network namespace refuses to start, naming it", async () => {
    const node = startNode("nonetns", { netns: `${NETNS}-missing` });
    const [code] = await within(node.exited, 10_000, "the keeper did not refuse");
    assert.equal(code, 1);
    assert.match(
      readFileSync(node.paths.console, "utf8"),
      /error: Network namespace not found: stele-test-\w+-missing/,
    );
    assert.equal(existsSync(node.paths.keeperPid), false);
  });
});

function startNode(
  name: string,
  overrides: { rootfs?: string; netns?: string; imageCache?: string } = {},
): StartedNode {
  const paths = nodeDirPaths(join(dir, name));
  const cgroup = `${CGROUP_TOP}/${name}`;
  cgroups.push(cgroup);
  const { command, args } = keeperCommand({
    name,
    netns: overrides.netns ?? NETNS,
    rootfs: overrides.rootfs ?? rootfs,
    nodeDir: paths.dir,
    hostname: `sandbox-${name}`,
    cgroup,
    machinedArgs: MACHINED_ARGS,
    ...(overrides.imageCache === undefined ? {} : { imageCache: overrides.imageCache }),
  });
  mkdirSync(paths.dir, { recursive: true });
  const console = openSync(paths.console, "a");
  const keeper = spawn(command, args, { stdio: ["ignore", console, console], detached: true });
  closeSync(console);
  keepers.push(keeper);
  const exited = once(keeper, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { paths, keeper, exited, cgroup };
}

/** What testing/fake-node-program.ts writes to `/var/boot-<n>.json`. */
interface BootReport {
  pid: number;
  hostname: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  writeRoot: string;
  mountinfo: string;
  cgroup: string;
  dev: string[];
  processes: string[];
}

async function bootReport(node: StartedNode, boot: number): Promise<BootReport> {
  const file = join(node.paths.var, `boot-${boot}.json`);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, "utf8"));
      } catch {
        // Being written.
      }
    }
    if (node.keeper.exitCode !== null) break;
    await sleep(20);
  }
  assert.fail(
    `boot ${boot} of ${node.paths.dir} never reported; console:\n${readFileSync(node.paths.console, "utf8")}`,
  );
}

async function stopAndCheckNothingLeft(node: StartedNode): Promise<void> {
  const hostPid = Number(readFileSync(node.paths.nodePid, "utf8"));
  node.keeper.kill("SIGTERM");
  const [code, signal] = await within(node.exited, 15_000, "the keeper did not stop on SIGTERM");
  assert.deepEqual([code, signal], [0, null], readFileSync(node.paths.console, "utf8"));
  assert.equal(existsSync(`/proc/${hostPid}`), false, "the node's PID 1 survived its keeper");
  await checkNothingLeft(node);
}

/** No PID file, no mount, no loop device of the image, no cgroup: what `cluster destroy` promises. */
async function checkNothingLeft(node: StartedNode, image = rootfs): Promise<void> {
  assert.equal(existsSync(node.paths.keeperPid), false, "keeper.pid left");
  assert.equal(existsSync(node.paths.nodePid), false, "node.pid left");
  assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(node.paths.dir), false, "a mount left");
  // The loop device is released when its mount namespace is gone, which the kernel finishes shortly after.
  const deadline = Date.now() + 5000;
  let loops = "";
  do {
    loops = execFileSync("losetup", ["-j", image], { encoding: "utf8" });
    if (loops === "") break;
    await sleep(50);
  } while (Date.now() < deadline);
  assert.equal(loops, "", "a loop device of the image left");
  for (const hierarchy of cgroupHierarchies()) {
    assert.equal(
      existsSync(hierarchy.mountPoint + node.cgroup),
      false,
      `cgroup left in ${hierarchy.mountPoint}`,
    );
  }
}

function killCgroup(cgroup: string): void {
  for (const hierarchy of cgroupHierarchies()) {
    try {
      for (const pid of readFileSync(`${hierarchy.mountPoint}${cgroup}/cgroup.procs`, "utf8")
        .split("\n")
        .filter(Boolean)) {
        process.kill(Number(pid), "SIGKILL");
      }
    } catch {
      // Gone already.
    }
  }
}

/** `major:minor` of the filesystem holding `path`, as mountinfo writes it (glibc's dev_t layout). */
function deviceOf(path: string): string {
  const { dev } = statSync(path, { bigint: true });
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
