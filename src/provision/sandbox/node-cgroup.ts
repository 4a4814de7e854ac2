import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { SteleError } from "../../machinery/errors.ts";
import { type MountinfoEntry, readMountinfo } from "../../pkg/linux/index.ts";

/** One mounted cgroup hierarchy: a v1 controller set (`memory`, `cpu,cpuacct`, `name=systemd`) or v2. */
export interface CgroupHierarchy {
  /** Where the hierarchy's root is mounted (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup/unified`). */
  readonly mountPoint: string;
  readonly version: 1 | 2;
  /** v1: the controllers (and `name=…`) of the hierarchy, as /proc/<pid>/cgroup names them; v2: empty. */
  readonly controllers: readonly string[];
}

/**
 * The cgroup hierarchies mounted on this host, from mountinfo: every `cgroup` and `cgroup2` mount of
 * a hierarchy's root, once per hierarchy. Read rather than assumed, because hosts differ: this one
 * mounts v1 controllers under `/sys/fs/cgroup/<name>` with v2 at `/sys/fs/cgroup/unified`, a
 * systemd host in unified mode has v2 alone at `/sys/fs/cgroup`.
 */
export function cgroupHierarchies(mounts: readonly MountinfoEntry[] = readMountinfo()): CgroupHierarchy[] {
  const seen = new Set<string>();
  const hierarchies: CgroupHierarchy[] = [];
  for (const mount of mounts) {
    if ((mount.fstype !== "cgroup" && mount.fstype !== "cgroup2") || mount.root !== "/") continue;
    if (seen.has(mount.device)) continue;
    seen.add(mount.device);
    hierarchies.push({
      mountPoint: mount.target,
      version: mount.fstype === "cgroup2" ? 2 : 1,
      controllers:
        mount.fstype === "cgroup2"
          ? []
          : mount.superOptions.filter((option) => !V1_GENERIC_OPTIONS.has(option.split("=")[0]!)),
    });
  }
  return hierarchies;
}

/** Super options of a v1 cgroup mount that are not controllers. */
const V1_GENERIC_OPTIONS = new Set([
  "rw",
  "ro",
  "noprefix",
  "release_agent",
  "clone_children",
  "xattr",
  "all",
  "cpuset_v2_mode",
]);

/**
 * Checks a node's cgroup path (`/stele/<cluster>/<node>`): absolute, at least one segment, no `.`
 * or `..` segments, nothing that would land outside the hierarchy or on one of its control files.
 */
export function checkCgroupPath(path: string): string {
  const segments = path.split("/").slice(1);
  if (
    !path.startsWith("/") ||
    segments.length === 0 ||
    segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\0"))
  ) {
    throw new SteleError(
      "invalid-argument",
      `Invalid cgroup path: ${JSON.stringify(path)}`,
      "Use an absolute path of plain segments, e.g. /stele/<cluster>/<node>",
    );
  }
  return path;
}

/** Options of {@link joinNodeCgroup}. */
export interface JoinNodeCgroupOptions {
  /** The process to move (default: this one); its children started later inherit the cgroup. */
  pid?: number;
  hierarchies?: readonly CgroupHierarchy[];
}

/**
 * Creates the node's cgroup `path` in every hierarchy and moves `pid` into it, so that the node and
 * everything it starts are accounted and limited together and can be found (and removed) by that
 * path. In a v1 cpuset hierarchy a new cgroup starts with no CPUs and no memory nodes and refuses
 * tasks, so each level created gets its parent's `cpuset.cpus` and `cpuset.mems` first. Returns the
 * directories joined.
 */
export function joinNodeCgroup(path: string, options: JoinNodeCgroupOptions = {}): string[] {
  checkCgroupPath(path);
  const pid = options.pid ?? process.pid;
  const hierarchies = options.hierarchies ?? cgroupHierarchies();
  if (hierarchies.length === 0) {
    throw new SteleError(
      "failed-precondition",
      "No cgroup hierarchy is mounted: /proc/self/mountinfo lists no cgroup or cgroup2 filesystem",
      "Mount cgroups under /sys/fs/cgroup (any systemd host does) and start the node again",
    );
  }
  const joined: string[] = [];
  for (const hierarchy of hierarchies) {
    const dir = hierarchy.mountPoint + path;
    // A concurrent removeNodeCgroup of a sibling node may prune a shared parent between our mkdir
    // and the next level's: start over a few times before calling it a failure.
    for (let attempt = 1; ; attempt++) {
      try {
        makeCgroup(hierarchy, path);
        writeFileSync(`${dir}/cgroup.procs`, `${pid}\n`);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT" && attempt < 3) continue;
        throw new SteleError(
          "io",
          `Cannot move process ${pid} into cgroup ${dir}: ${(error as Error).message}`,
          "Run the keeper as root on a host whose cgroups are mounted under /sys/fs/cgroup",
          { cause: error },
        );
      }
    }
    joined.push(dir);
  }
  return joined;
}

function makeCgroup(hierarchy: CgroupHierarchy, path: string): void {
  let dir = hierarchy.mountPoint;
  for (const segment of path.split("/").slice(1)) {
    const parent = dir;
    dir = `${dir}/${segment}`;
    if (!existsSync(dir)) {
      try {
        mkdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
    // Every level, whoever made it: the sibling node's keeper that created a shared parent a moment
    // ago may not have given it CPUs yet, and a child inheriting an empty set refuses tasks (ENOSPC).
    if (hierarchy.version === 1) inheritCpuset(parent, dir);
  }
}

function inheritCpuset(parent: string, dir: string): void {
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    if (!existsSync(`${dir}/${file}`)) return;
    if (readFileSync(`${dir}/${file}`, "utf8").trim() !== "") continue;
    writeFileSync(`${dir}/${file}`, readFileSync(`${parent}/${file}`, "utf8"));
  }
}

/**
 * Moves `pid` back to the cgroups listed in `cgroupFile` (a copy of `/proc/<pid>/cgroup` taken
 * before joining), or to a hierarchy's root where that cgroup is gone. The keeper does this before
 * removing its node's cgroup, which it cannot remove while it is inside.
 */
export function leaveNodeCgroup(
  previous: string,
  options: { pid?: number; hierarchies?: readonly CgroupHierarchy[] } = {},
): void {
  const pid = options.pid ?? process.pid;
  const hierarchies = options.hierarchies ?? cgroupHierarchies();
  const before = parseProcCgroup(previous);
  for (const hierarchy of hierarchies) {
    const key = hierarchy.version === 2 ? "" : hierarchy.controllers.join(",");
    const candidates = [before.get(key), "/"].filter((p): p is string => p !== undefined);
    for (const path of candidates) {
      try {
        writeFileSync(`${hierarchy.mountPoint}${path === "/" ? "" : path}/cgroup.procs`, `${pid}\n`);
        break;
      } catch {
        // Gone, or not writable: try the root, then leave this hierarchy as it is.
      }
    }
  }
}

/**
 * `/proc/<pid>/cgroup` (`4:memory:/a/b`, `0::/`) as a map from the controller list (as
 * {@link CgroupHierarchy.controllers} joins it; "" for v2) to the path. Controller order is the
 * kernel's in both files.
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (match) map.set(match[1]!, match[2]!);
  }
  return map;
}

/** Options of {@link removeNodeCgroup}. */
export interface RemoveNodeCgroupOptions {
  hierarchies?: readonly CgroupHierarchy[];
  /** How long to retry a cgroup that still holds exiting processes (EBUSY), in ms; default 5000. */
  timeoutMs?: number;
  /** Also remove the path's parents that became empty (`/stele/<cluster>`, `/stele`); default true. */
  pruneParents?: boolean;
}

/**
 * Removes a node's cgroup `path` from every hierarchy, depth-first (the cgroups containerd and runc
 * made below it go first: a cgroup with children cannot be removed), then its parents that became
 * empty. Idempotent: a path already gone is fine. A cgroup keeps refusing removal (EBUSY) for a
 * moment after its last process died, so that is retried until `timeoutMs`; a process still in it
 * then is an error naming its PIDs. Used by the keeper when it stops and by `cluster destroy`.
 */
export async function removeNodeCgroup(path: string, options: RemoveNodeCgroupOptions = {}): Promise<void> {
  checkCgroupPath(path);
  const hierarchies = options.hierarchies ?? cgroupHierarchies();
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (const hierarchy of hierarchies) {
    const dir = hierarchy.mountPoint + path;
    if (!existsSync(dir)) continue;
    await removeTree(dir, deadline);
    if (options.pruneParents ?? true) pruneEmptyParents(hierarchy.mountPoint, path);
  }
}

async function removeTree(dir: string, deadline: number): Promise<void> {
  let children: string[];
  try {
    children = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const child of children) await removeTree(child, deadline);
  for (;;) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || Date.now() >= deadline) {
        const pids = readPids(dir);
        throw new SteleError(
          code === "EBUSY" ? "busy" : "io",
          `Cannot remove cgroup ${dir}: ${pids.length > 0 ? `processes still in it: ${pids.join(", ")}` : (error as Error).message}`,
          "Stop the node's processes first (stelectl cluster destroy does), then try again",
          { cause: error },
        );
      }
      await sleep(50);
    }
  }
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function pruneEmptyParents(mountPoint: string, path: string): void {
  const segments = path.split("/").slice(1);
  for (let n = segments.length - 1; n >= 1; n--) {
    try {
      rmdirSync(`${mountPoint}/${segments.slice(0, n).join("/")}`);
    } catch {
      // Not empty (a sibling node's cgroup), busy or gone: the parents above are not empty either.
      return;
    }
  }
}
