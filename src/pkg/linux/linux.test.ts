/**
 * The syscall wrappers against the real kernel. Anything that changes the machine (mounts, the
 * hostname, pivot_root, reboot) runs in a child process inside namespaces of its own (`unshare`),
 * so the host is never touched; the rest runs here and only fails.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  clearCloseOnExec,
  execve,
  LinuxCallError,
  mount,
  reboot,
  SyscallError,
  umount2,
  waitpid,
} from "./index.ts";

const INDEX = new URL("./index.ts", import.meta.url).href;
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "pkg-linux-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs an ES module body (with `linux` = this package) under `unshare FLAGS`; returns the child's result. */
function inNamespaces(flags: readonly string[], body: string) {
  const script = `import * as linux from ${JSON.stringify(INDEX)}; import * as fs from "node:fs";\n${body}`;
  const killChild = flags.includes("--fork") ? ["--kill-child"] : [];
  return spawnSync(
    "unshare",
    [...flags, ...killChild, process.execPath, "--input-type=module", "-e", script],
    {
      encoding: "utf8",
      timeout: 20_000,
      // unshare --fork blocks SIGTERM; SIGKILL ends it, and --kill-child its child with it.
      killSignal: "SIGKILL",
    },
  );
}

test("a refused mount throws a SteleError naming the call, its arguments and errno", () => {
  const target = join(dir, "missing", "x");
  const error = catchError(() =>
    mount("tmpfs", target, { type: "tmpfs", flags: ["nosuid", "nodev"], data: "mode=755" }),
  );
  assert.ok(error instanceof SyscallError);
  // A SteleError by shape (src/pkg may not import it): isSteleError recognises errors by this name.
  assert.equal(error.name, "SteleError");
  assert.equal(error.code, "io");
  assert.equal(error.errnoName, "ENOENT");
  assert.equal(
    error.message,
    `mount("tmpfs", ${JSON.stringify(target)}, "tmpfs", ["nosuid","nodev"], "mode=755"): ENOENT (No such file or directory)`,
  );
  assert.ok(error.hint);
});

test("umount2 of a path that is not a mount point names EINVAL", () => {
  const error = catchError(() => umount2(dir, { detach: true }));
  assert.ok(error instanceof SyscallError);
  assert.match(error.message, /^umount2\(".*", 2\): EINVAL \(Invalid argument\)$/);
});

test("mount, bind read-only and umount2 work in a mount namespace, and the host sees none of it", () => {
  const target = join(dir, "mnt");
  const result = inNamespaces(
    ["--mount", "--propagation", "private"],
    `const t = ${JSON.stringify(target)};
     fs.mkdirSync(t);
     linux.mount("tmpfs", t, { type: "tmpfs", flags: ["nosuid"], data: "mode=700,size=1m" });
     fs.writeFileSync(t + "/f", "x");
     const mounted = linux.readMountinfo().find((m) => m.target === t);
     linux.mount(t, t, { flags: ["bind"] });
     linux.mount(null, t, { flags: ["remount", "bind", "rdonly"] });
     let writeError = "";
     try { fs.writeFileSync(t + "/g", "y"); } catch (e) { writeError = e.code; }
     linux.umount2(t);
     linux.umount2(t);
     const after = linux.readMountinfo().some((m) => m.target === t);
     console.log(JSON.stringify({ fstype: mounted?.fstype, options: mounted?.mountOptions, writeError, after }));`,
  );
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.fstype, "tmpfs");
  assert.ok(report.options.includes("nosuid"));
  assert.equal(report.writeError, "EROFS");
  assert.equal(report.after, false);
  assert.equal(
    readFileSync("/proc/self/mountinfo", "utf8").includes(target),
    false,
    "the namespace's mounts leaked to the host",
  );
});

test("pivotRoot into a tmpfs makes it / and detaches the old root", () => {
  const root = join(dir, "newroot");
  const result = inNamespaces(
    ["--mount", "--propagation", "private"],
    `const r = ${JSON.stringify(root)};
     fs.mkdirSync(r);
     linux.mount("tmpfs", r, { type: "tmpfs" });
     fs.writeFileSync(r + "/marker", "here");
     fs.mkdirSync(r + "/proc");
     linux.chdir(r);
     linux.pivotRoot(".", ".");
     linux.umount2(".", { detach: true });
     linux.chdir("/");
     linux.mount("proc", "/proc", { type: "proc" });
     const mounts = linux.readMountinfo();
     console.log(JSON.stringify({
       marker: fs.readFileSync("/marker", "utf8"),
       rootType: mounts.find((m) => m.target === "/")?.fstype,
       targets: mounts.map((m) => m.target),
     }));`,
  );
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.marker, "here");
  assert.equal(report.rootType, "tmpfs");
  assert.deepEqual(report.targets, ["/", "/proc"]);
});

test("sethostname changes the UTS namespace's name only", () => {
  const result = inNamespaces(
    ["--uts"],
    `import { hostname } from "node:os"; linux.sethostname("pkg-linux-test"); console.log(hostname());`,
  );
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), "pkg-linux-test");
  assert.notEqual(hostname(), "pkg-linux-test");
});

test("reboot refuses unless called from PID 1, before any syscall", () => {
  const error = catchError(() => reboot("restart", { pid: 4242 }));
  assert.ok(error instanceof LinuxCallError);
  assert.equal(error.name, "SteleError");
  assert.equal(error.code, "failed-precondition");
  assert.match(error.message, /PID 4242, not PID 1/);
});

for (const [command, signal] of [
  ["restart", "SIGHUP"],
  ["power-off", "SIGINT"],
] as const) {
  test(`reboot(${command}) from PID 1 of a PID namespace ends it, reported as ${signal}`, () => {
    const result = inNamespaces(
      ["--pid", "--fork"],
      `linux.reboot(${JSON.stringify(command)}); console.log("returned");`,
    );
    assert.equal(result.signal, signal, result.stderr);
    assert.equal(result.stdout, "");
  });
}

test("execve replaces the process (same PID) with the given argv and only the given env", () => {
  const script = `import * as linux from ${JSON.stringify(INDEX)};
    for (const fd of [0, 1, 2]) linux.clearCloseOnExec(fd);
    process.stdout.write("node=" + process.pid + "\\n");
    linux.execve("/bin/sh", { argv: ["sh", "-c", 'echo "sh=$$ greeting=$GREETING home=$HOME"'], env: { GREETING: "hi there" } });`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, HOME: "/root" },
    timeout: 10_000,
  });
  assert.equal(result.status, 0, result.stderr);
  const [nodeLine, shLine] = result.stdout.trim().split("\n");
  const pid = nodeLine!.replace("node=", "");
  assert.equal(shLine, `sh=${pid} greeting=hi there home=`);
});

test("execve of a missing program throws naming the path and ENOENT", () => {
  const error = catchError(() => execve(join(dir, "no-such-program"), { argv: ["x"], env: {} }));
  assert.ok(error instanceof SyscallError);
  assert.match(
    error.message,
    /^execve\(".*no-such-program", \["x"\]\): ENOENT \(No such file or directory\)$/,
  );
});

test("clearCloseOnExec of a closed fd names EBADF", () => {
  const error = catchError(() => clearCloseOnExec(987_654));
  assert.ok(error instanceof SyscallError);
  assert.equal(error.message, 'fcntl(987654, "F_SETFD", 0): EBADF (Bad file descriptor)');
});

test("waitpid of a PID that is not a child names ECHILD", () => {
  const error = catchError(() => waitpid(1, { noHang: true }));
  assert.ok(error instanceof SyscallError);
  assert.equal(error.message, 'waitpid(1, "WNOHANG"): ECHILD (No child processes)');
});

test("waitpid reaps a zombie child with its exit status, and returns undefined while it runs", () => {
  // PID 1 of a new namespace adopts a shell's background job: a child that Node did not spawn.
  const result = inNamespaces(
    ["--pid", "--fork", "--mount-proc"],
    `import { spawnSync } from "node:child_process";
     spawnSync("sh", ["-c", "(sleep 0.3; exit 7) & echo $! > ${join(dir, "orphan.pid")}"], { stdio: "ignore" });
     const pid = Number(fs.readFileSync(${JSON.stringify(join(dir, "orphan.pid"))}, "utf8"));
     const early = linux.waitpid(pid, { noHang: true });
     let reaped;
     const deadline = Date.now() + 5000;
     while (!reaped && Date.now() < deadline) reaped = linux.waitpid(pid, { noHang: true });
     console.log(JSON.stringify({ pid, early: early ?? null, reaped }));`,
  );
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.early, null);
  assert.equal(report.reaped.pid, report.pid);
  assert.equal(report.reaped.status >> 8, 7);
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}
