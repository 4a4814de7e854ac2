import { readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The mount points of every cgroup hierarchy on the host (`/sys/fs/cgroup/memory`, …,
 * `/sys/fs/cgroup/unified`), read from mountinfo, because a host may mount v1 controllers, v2, or
 * both side by side, and a node's cgroup exists in each of them.
 */
export function cgroupMountPoints(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    const fstype = after?.split(" ")[0];
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const point = before?.split(" ")[4];
    if (point) points.push(unescapeMountPath(point));
  }
  return [...new Set(points)];
}

/** The directories of a cgroup path (`/stele/<cluster>`) that exist, one per hierarchy. */
export function existingCgroupDirs(cgroupPath: string, mountPoints = cgroupMountPoints()): string[] {
  return mountPoints.map((point) => join(point, cgroupPath)).filter(isDirectory);
}

/** Every cgroup directory under `dir` (itself included), deepest first. */
export function cgroupTree(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => cgroupTree(join(dir, entry.name)));
  return [...children, dir];
}

/** The PIDs in a cgroup and every cgroup below it. */
export function cgroupTreePids(dir: string): number[] {
  const pids = new Set<number>();
  for (const cgroup of cgroupTree(dir)) {
    try {
      for (const line of readFileSync(join(cgroup, "cgroup.procs"), "utf8").split("\n")) {
        if (/^\d+$/.test(line)) pids.add(Number(line));
      }
    } catch {
      // removed meanwhile
    }
  }
  return [...pids];
}

/**
 * Removes a cgroup and every cgroup below it, deepest first (a cgroup with children cannot be
 * removed). Returns the directories that could not be removed and why (EBUSY: processes remain).
 */
export function removeCgroupTree(dir: string): Array<{ dir: string; reason: string }> {
  const failures: Array<{ dir: string; reason: string }> = [];
  for (const cgroup of cgroupTree(dir)) {
    try {
      rmdirSync(cgroup);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") failures.push({ dir: cgroup, reason: code ?? String(error) });
    }
  }
  return failures;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
