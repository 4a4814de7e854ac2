import { join, resolve } from "node:path";

/** The files and directories of a node directory, as the contract between provisioner, keeper and init fixes them. */
export interface NodeDirPaths {
  /** The node directory itself (absolute). */
  readonly dir: string;
  /** STATE, bound at `/system/state` inside the node. */
  readonly state: string;
  /** EPHEMERAL, bound at `/var` inside the node. */
  readonly var: string;
  /** The empty mount point of the root squashfs. */
  readonly root: string;
  /** The keeper's and the node's stdout and stderr. */
  readonly console: string;
  /** The keeper's host PID, while it runs. */
  readonly keeperPid: string;
  /** The host PID of the node's PID 1, while it runs; rewritten at every boot. */
  readonly nodePid: string;
}

/**
 * The paths of a node directory (`nodes/<node>/` of a cluster): one place that names them, so the
 * provisioner that makes the directory, the keeper and sandbox-init cannot disagree.
 */
export function nodeDirPaths(dir: string): NodeDirPaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    state: join(abs, "state"),
    var: join(abs, "var"),
    root: join(abs, "root"),
    console: join(abs, "console.log"),
    keeperPid: join(abs, "keeper.pid"),
    nodePid: join(abs, "node.pid"),
  };
}
