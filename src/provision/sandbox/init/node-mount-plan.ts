import { join } from "node:path";
import type { MountOptions } from "../../../pkg/linux/index.ts";

/** One step of setting up a node's root: a mount, or a mount point made inside a fresh tmpfs. */
export type MountStep =
  /** `mount -t squashfs -o loop,ro IMAGE TARGET`, through util-linux, which sets up the loop device. */
  | { kind: "loop-mount"; image: string; target: string }
  | { kind: "mount"; source: string | null; target: string; options: MountOptions }
  | { kind: "mkdir"; path: string }
  /** An empty file: the mount point of a bound device node. */
  | { kind: "file"; path: string }
  | { kind: "symlink"; path: string; target: string };

/** What {@link nodeMountPlan} builds on. All paths are the host's, absolute. */
export interface NodeMountPlanOptions {
  /** The empty directory the root image is mounted on (the node directory's `root/`). */
  root: string;
  rootfs: string;
  /** Bound at `/system/state` (STATE). */
  state: string;
  /** Bound at `/var` (EPHEMERAL). */
  var: string;
  /** Bound read-only at `/system/image-cache`. */
  imageCache?: string;
}

/** Device nodes of the host bound into the node's /dev: the ones every program expects, nothing that reaches hardware. */
export const NODE_DEVICES = ["null", "zero", "full", "random", "urandom", "tty"] as const;

/**
 * The mounts that make a node's root, in order, as data: the read-only root image; tmpfs at
 * `/system`, `/run`, `/tmp`; STATE, `/var` and the image cache bound from the host; proc and a
 * sysfs of the node's network namespace; the host's cgroup hierarchies (containerd puts the node's
 * containers there); and a minimal `/dev`. A plan rather than a script of calls, so that its order
 * (a mount inside a tmpfs comes after that tmpfs) is tested without root.
 */
export function nodeMountPlan(options: NodeMountPlanOptions): MountStep[] {
  const at = (path: string) => join(options.root, path);
  const tmpfs = (
    path: string,
    data: string,
    flags: MountOptions["flags"] = ["nosuid", "nodev"],
  ): MountStep => ({
    kind: "mount",
    source: "tmpfs",
    target: at(path),
    options: { type: "tmpfs", flags, data },
  });
  const bind = (source: string, path: string): MountStep => ({
    kind: "mount",
    source,
    target: at(path),
    options: { flags: ["bind"] },
  });
  const steps: MountStep[] = [
    { kind: "loop-mount", image: options.rootfs, target: options.root },
    // containerd runs container roots from /system/var/lib/containerd: no noexec, no nodev there.
    tmpfs("/system", "mode=755", []),
    tmpfs("/run", "mode=755"),
    tmpfs("/tmp", "mode=1777"),
    { kind: "mkdir", path: at("/system/state") },
    bind(options.state, "/system/state"),
    bind(options.var, "/var"),
  ];
  if (options.imageCache !== undefined) {
    steps.push(
      { kind: "mkdir", path: at("/system/image-cache") },
      bind(options.imageCache, "/system/image-cache"),
      // A bind mount takes MS_RDONLY only on a remount of itself.
      {
        kind: "mount",
        source: null,
        target: at("/system/image-cache"),
        options: { flags: ["remount", "bind", "rdonly", "nosuid", "nodev", "noexec"] },
      },
    );
  }
  steps.push(
    {
      kind: "mount",
      source: "proc",
      target: at("/proc"),
      options: { type: "proc", flags: ["nosuid", "nodev", "noexec"] },
    },
    {
      kind: "mount",
      source: "sysfs",
      target: at("/sys"),
      options: { type: "sysfs", flags: ["nosuid", "nodev", "noexec"] },
    },
    {
      kind: "mount",
      source: "/sys/fs/cgroup",
      target: at("/sys/fs/cgroup"),
      options: { flags: ["bind", "rec"] },
    },
    tmpfs("/dev", "mode=755", ["nosuid"]),
  );
  for (const device of NODE_DEVICES) {
    steps.push({ kind: "file", path: at(`/dev/${device}`) }, bind(`/dev/${device}`, `/dev/${device}`));
  }
  steps.push(
    { kind: "mkdir", path: at("/dev/pts") },
    {
      kind: "mount",
      source: "devpts",
      target: at("/dev/pts"),
      options: { type: "devpts", flags: ["nosuid", "noexec"], data: "newinstance,ptmxmode=0666,mode=0620" },
    },
    { kind: "symlink", path: at("/dev/ptmx"), target: "pts/ptmx" },
    { kind: "mkdir", path: at("/dev/shm") },
    tmpfs("/dev/shm", "mode=1777"),
    { kind: "symlink", path: at("/dev/fd"), target: "/proc/self/fd" },
    { kind: "symlink", path: at("/dev/stdin"), target: "/proc/self/fd/0" },
    { kind: "symlink", path: at("/dev/stdout"), target: "/proc/self/fd/1" },
    { kind: "symlink", path: at("/dev/stderr"), target: "/proc/self/fd/2" },
  );
  return steps;
}
