import assert from "node:assert/strict";
import { test } from "node:test";
import { type MountStep, NODE_DEVICES, nodeMountPlan } from "./node-mount-plan.ts";

const OPTIONS = {
  root: "/n/root",
  rootfs: "/images/rootfs.sqsh",
  state: "/n/state",
  var: "/n/var",
};

function targetOf(step: MountStep): string {
  return step.kind === "mkdir" || step.kind === "file" || step.kind === "symlink" ? step.path : step.target;
}

function mountTargets(steps: readonly MountStep[]): string[] {
  return steps.filter((s) => s.kind === "mount" || s.kind === "loop-mount").map((s) => targetOf(s));
}

for (const imageCache of [undefined, "/cluster/image-cache"]) {
  const steps = nodeMountPlan({ ...OPTIONS, ...(imageCache ? { imageCache } : {}) });

  test(`every step acts under the node's root${imageCache ? " (with an image cache)" : ""}`, () => {
    for (const step of steps) assert.ok(targetOf(step).startsWith(OPTIONS.root), JSON.stringify(step));
  });

  test(`nothing is made inside a mount point before it is mounted${imageCache ? " (with an image cache)" : ""}`, () => {
    // A step under /system made before /system's tmpfs would be hidden by it (or land in the image).
    steps.forEach((step, index) => {
      for (const later of steps.slice(index + 1)) {
        if (later.kind !== "mount" && later.kind !== "loop-mount") continue;
        const covers = targetOf(step).startsWith(`${targetOf(later)}/`);
        assert.ok(!covers, `${JSON.stringify(step)} comes before the mount at ${targetOf(later)}`);
      }
    });
  });
}

test("the root image is mounted first, read-only through a loop device", () => {
  const [first] = nodeMountPlan(OPTIONS);
  assert.deepEqual(first, { kind: "loop-mount", image: OPTIONS.rootfs, target: OPTIONS.root });
});

test("the node gets tmpfs /system, /run and /tmp, STATE and /var bound from the node dir", () => {
  const steps = nodeMountPlan(OPTIONS);
  const byTarget = new Map(steps.filter((s) => s.kind === "mount").map((s) => [s.target, s]));
  for (const dir of ["/system", "/run", "/tmp", "/dev", "/dev/shm"]) {
    assert.equal(byTarget.get(`/n/root${dir}`)?.options.type, "tmpfs", dir);
  }
  assert.deepEqual(byTarget.get("/n/root/system/state"), {
    kind: "mount",
    source: "/n/state",
    target: "/n/root/system/state",
    options: { flags: ["bind"] },
  });
  assert.equal(byTarget.get("/n/root/var")?.source, "/n/var");
  assert.deepEqual(byTarget.get("/n/root/sys/fs/cgroup")?.options.flags, ["bind", "rec"]);
  assert.equal(byTarget.get("/n/root/proc")?.options.type, "proc");
  assert.equal(byTarget.get("/n/root/dev/pts")?.options.data, "newinstance,ptmxmode=0666,mode=0620");
  assert.equal(mountTargets(steps).filter((t) => t.includes("image-cache")).length, 0);
});

test("the image cache is bound and then remounted read-only", () => {
  const steps = nodeMountPlan({ ...OPTIONS, imageCache: "/c/cache" });
  const cache = steps.filter((s) => s.kind === "mount" && s.target === "/n/root/system/image-cache");
  assert.equal(cache.length, 2);
  assert.equal(cache[0]?.kind === "mount" && cache[0].source, "/c/cache");
  assert.ok(cache[1]?.kind === "mount" && cache[1].options.flags?.includes("rdonly"));
  assert.ok(cache[1]?.kind === "mount" && cache[1].options.flags?.includes("remount"));
});

test("/dev holds exactly the harmless device nodes, bound from the host, and the usual links", () => {
  const steps = nodeMountPlan(OPTIONS);
  const bound = steps
    .filter((s) => s.kind === "mount" && s.source?.startsWith("/dev/"))
    .map((s) => (s.kind === "mount" ? s.source : ""));
  assert.deepEqual(
    bound,
    NODE_DEVICES.map((d) => `/dev/${d}`),
  );
  const links = Object.fromEntries(
    steps.filter((s) => s.kind === "symlink").map((s) => (s.kind === "symlink" ? [s.path, s.target] : [])),
  );
  assert.deepEqual(links, {
    "/n/root/dev/ptmx": "pts/ptmx",
    "/n/root/dev/fd": "/proc/self/fd",
    "/n/root/dev/stdin": "/proc/self/fd/0",
    "/n/root/dev/stdout": "/proc/self/fd/1",
    "/n/root/dev/stderr": "/proc/self/fd/2",
  });
});
