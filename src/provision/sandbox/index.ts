/**
 * Nodes of the `container` platform as namespaced sandboxes: what the provisioner needs to start
 * one (keeperCommand) and to clean up after it (removeNodeCgroup), and the node directory's layout.
 * The programs themselves are `sandbox-keeper` (keeper/main.ts) and `sandbox-init` (init/main.ts).
 */
export {
  type KeeperCommand,
  type KeeperCommandOptions,
  keeperCommand,
  steleEntry,
} from "./keeper-command.ts";
export { type KeeperOptions, keeperArgs, parseKeeperArgs } from "./keeper-options.ts";
export {
  type CgroupHierarchy,
  cgroupHierarchies,
  type RemoveNodeCgroupOptions,
  removeNodeCgroup,
} from "./node-cgroup.ts";
export { type NodeDirPaths, nodeDirPaths } from "./node-dir.ts";
