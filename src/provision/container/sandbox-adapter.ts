import { type KeeperOptions, keeperCommand, removeNodeCgroup } from "../sandbox/index.ts";

export type { KeeperOptions };

/**
 * The command line that starts a node's keeper (`<node> <stele entry> sandbox-keeper … -- <machined
 * args>`): the one call into the sandbox for it, behind one seam that tests replace.
 */
export async function sandboxKeeperCommand(
  options: KeeperOptions,
): Promise<{ command: string; args: string[] }> {
  return keeperCommand(options);
}

/** Removes a node's cgroup in every hierarchy, through the sandbox that made it. */
export async function removeSandboxCgroup(cgroupPath: string): Promise<void> {
  await removeNodeCgroup(cgroupPath);
}
