import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  type ClientConfig,
  emptyClientConfig,
  mergeClientConfig,
  parseClientConfig,
  serializeClientConfig,
} from "../../machinery/client/index.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";

/** The result of merging a cluster's context into the user's client config. */
export interface MergedContext {
  /** The context's name: the cluster's, or `<cluster>-N` when that name was taken. */
  context: string;
  renamedFrom?: string;
}

/**
 * Merges a cluster's freshly minted client config into the user's (`path`), as
 * `stelectl config merge` does: contexts already there are kept, a taken name gets a `-N` suffix,
 * and the cluster's context becomes the current one. The file is created (0600) if missing and
 * written atomically, so an interrupted create never leaves a half-written client config.
 */
export function mergeClusterContext(path: string, minted: ClientConfig): MergedContext {
  const current = readClientConfigFile(path);
  const { config, renamed } = mergeClientConfig(current, minted);
  writeClientConfigFile(path, config);
  const [was, now] = renamed[0] ?? [];
  return now === undefined ? { context: config.context } : { context: now, renamedFrom: was! };
}

/**
 * Removes the context create merged, if it is still the one create made: it must hold the
 * cluster's client certificate (`crt`), so a context the user recreated under that name with other
 * credentials is never deleted. If it was the current context, another one becomes current (the
 * client config must name an existing one), and its name is returned as `current`.
 */
export function removeClusterContext(
  path: string,
  options: { context: string; crt: string },
): { removed: boolean; current?: string } {
  if (!existsSync(path)) return { removed: false };
  const config = readClientConfigFile(path);
  const context = Object.hasOwn(config.contexts, options.context)
    ? config.contexts[options.context]
    : undefined;
  if (context === undefined || context.crt !== options.crt) return { removed: false };
  const contexts = Object.fromEntries(
    Object.entries(config.contexts).filter(([name]) => name !== options.context),
  );
  const current = config.context === options.context ? (Object.keys(contexts)[0] ?? "") : config.context;
  writeClientConfigFile(path, { context: current, contexts });
  return config.context === options.context ? { removed: true, current } : { removed: true };
}

function readClientConfigFile(path: string): ClientConfig {
  if (!existsSync(path)) return emptyClientConfig();
  return parseClientConfig(readFileSync(path, "utf8"), { file: path });
}

function writeClientConfigFile(path: string, config: ClientConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFilesAtomically([{ path, content: serializeClientConfig(config), mode: 0o600 }]);
}
