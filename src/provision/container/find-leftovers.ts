import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupMountPoints, existingCgroupDirs } from "./cgroup-tree.ts";
import { type ClusterNetworkPlan, listClusterLinks, listClusterNetns } from "./cluster-network.ts";
import { processesNaming } from "./host-processes.ts";
import { runCommand } from "./run-command.ts";

/** One thing a cluster left on the host. */
export interface Leftover {
  kind: "process" | "netns" | "link" | "cgroup" | "loop" | "mount" | "dir";
  /** What it is, as a person would look for it: a PID and command, a name, a path. */
  what: string;
}

/** What findLeftovers needs to know of a cluster (a ClusterState has it all). */
export interface LeftoverTarget extends ClusterNetworkPlan {
  clusterDir: string;
}

/** Options of findLeftovers. */
export interface FindLeftoversOptions {
  /** The cluster dir was kept on purpose (`--keep-state`): it is not a leftover. */
  keepState?: boolean;
  run?: typeof runCommand;
}

/** The per-cluster copy of the node image inside a cluster dir; its loop devices name the cluster. */
export const CLUSTER_ROOTFS_FILE = "rootfs.sqsh";

/**
 * Everything of a cluster still on the host: processes whose command line names the cluster dir,
 * its network namespaces, its links (bridge and veths) in `ip -o link`, its cgroup directories in
 * every hierarchy, loop devices backed by files in the cluster dir (its rootfs copy), mounts under
 * the cluster dir in the host's mountinfo, and the cluster dir itself. Empty after a clean destroy;
 * the end-to-end tests and `cluster destroy` both check it.
 */
export async function findLeftovers(
  cluster: LeftoverTarget,
  options: FindLeftoversOptions = {},
): Promise<Leftover[]> {
  const run = options.run ?? runCommand;
  const leftovers: Leftover[] = [];
  for (const { pid, cmdline } of processesNaming(cluster.clusterDir)) {
    leftovers.push({ kind: "process", what: `${pid} ${cmdline.join(" ").slice(0, 200)}` });
  }
  for (const netns of await listClusterNetns(cluster, { run }))
    leftovers.push({ kind: "netns", what: netns });
  for (const link of await listClusterLinks(cluster, { run })) leftovers.push({ kind: "link", what: link });
  for (const dir of existingCgroupDirs(join("stele", cluster.name), cgroupMountPoints())) {
    leftovers.push({ kind: "cgroup", what: dir });
  }
  for (const device of await loopDevicesUnder(cluster.clusterDir, { run })) {
    leftovers.push({ kind: "loop", what: device });
  }
  for (const point of mountsUnder(cluster.clusterDir)) leftovers.push({ kind: "mount", what: point });
  if (!options.keepState && existsSync(cluster.clusterDir)) {
    leftovers.push({ kind: "dir", what: cluster.clusterDir });
  }
  return leftovers;
}

/**
 * Loop devices backed by a file in `dir`: those `losetup -j` finds for the cluster's rootfs copy,
 * and any in `losetup --list` whose backing file is under `dir` (also after the file was deleted,
 * which losetup marks `(deleted)`). Returned as `DEVICE (BACKING FILE)`.
 */
export async function loopDevicesUnder(
  dir: string,
  options: { run?: typeof runCommand } = {},
): Promise<string[]> {
  const run = options.run ?? runCommand;
  const found = new Map<string, string>();
  const rootfs = join(dir, CLUSTER_ROOTFS_FILE);
  if (existsSync(rootfs)) {
    const { stdout } = await run("losetup", ["-j", rootfs]);
    for (const line of stdout.split("\n")) {
      const device = /^(\/dev\/loop\d+):/.exec(line)?.[1];
      if (device) found.set(device, rootfs);
    }
  }
  const { stdout } = await run("losetup", ["--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE"]);
  for (const line of stdout.split("\n")) {
    const match = /^(\S+) (.*)$/.exec(line.trim());
    if (!match) continue;
    const file = unescapeRaw(match[2]!).replace(/ \(deleted\)$/, "");
    if (file.startsWith(`${dir}/`)) found.set(match[1]!, file);
  }
  return [...found].map(([device, file]) => `${device} (${file})`);
}

/** Mount points at or under `dir` in the host's mount table, deepest first. */
export function mountsUnder(dir: string, mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined)
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** `losetup --raw` escapes unusual characters as `\xHH`. */
function unescapeRaw(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}
