import { readFileSync } from "node:fs";

/**
 * The cgroup path machined runs in, from the text of `/proc/self/cgroup`: the path most hierarchies
 * agree on (the unified one wins a tie). A node has no cgroup namespace, so this is the host's path
 * of the node's cgroup (`/stele/<cluster>/<node>`), the parent its containers must go under so that
 * two nodes' containers of the same id never share a cgroup. Majority rather than one controller's
 * line, because a host's supervisor may have moved a process in one hierarchy only.
 */
export function cgroupParentPath(procSelfCgroup: string): string {
  const counts = new Map<string, number>();
  let unified: string | undefined;
  for (const line of procSelfCgroup.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const path = normalize(match[3]!);
    if (match[1] === "0" && match[2] === "") unified = path;
    counts.set(path, (counts.get(path) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [path, count] of counts) {
    if (count > bestCount || (count === bestCount && path === unified)) {
      best = path;
      bestCount = count;
    }
  }
  return best ?? "/";
}

/** {@link cgroupParentPath} of this process. */
export function readCgroupParent(file = "/proc/self/cgroup"): string {
  return cgroupParentPath(readFileSync(file, "utf8"));
}

/** `/a/b/` and `a/b` → `/a/b`; the root stays `/`. */
function normalize(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.startsWith("/") ? trimmed || "/" : `/${trimmed}`;
}
