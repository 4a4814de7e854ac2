import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_FILE } from "../../pkg/process/program-command.ts";
import { type KeeperOptions, keeperArgs } from "./keeper-options.ts";

/** Options of {@link keeperCommand}: the keeper's flags, and what runs it. */
export interface KeeperCommandOptions extends KeeperOptions {
  /** The Node.js binary (default: this process's, the pinned Node 24 when run from the repo or the image). */
  nodeBinary?: string;
  /** Stele's entry point (default: {@link steleEntry}). */
  entry?: string;
}

/** A command line to spawn. */
export interface KeeperCommand {
  command: string;
  args: string[];
}

/**
 * The exact command line that starts a node's keeper:
 * `<node> <stele entry> sandbox-keeper --name … -- <machined args…>`. Spawn it detached
 * (`detached: true`, then `unref()`) with stdin ignored and stdout and stderr on the node's
 * `console.log` opened for appending: the keeper and the node write their console there, and
 * the keeper outlives the command that started it.
 */
export function keeperCommand(options: KeeperCommandOptions): KeeperCommand {
  return {
    command: options.nodeBinary ?? process.execPath,
    args: [options.entry ?? steleEntry(), "sandbox-keeper", ...keeperArgs(options)],
  };
}

/**
 * The file that runs Stele's programs from the code this process runs: the bundle (`stele.mjs`)
 * when this module was bundled into it, else `src/main.ts` of the sources. As `programCommand`
 * does for daemons, so a cluster created from the bundle runs its keepers from the bundle, and
 * tests of the sources test the sources.
 */
export function steleEntry(): string {
  const self = fileURLToPath(import.meta.url);
  if (basename(self) === BUNDLE_FILE) return self;
  return fileURLToPath(new URL("../../main.ts", import.meta.url));
}
