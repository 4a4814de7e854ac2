import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseClientConfig } from "../../machinery/client/index.ts";
import { removeClusterContext } from "../container/cluster-client-context.ts";
import type { Progress } from "../container/progress-reporter.ts";

/** What removeRecordedContext reads of a cluster's state. */
export interface RecordedContextTarget {
  name: string;
  clusterDir: string;
  /** Where create merged the context, as its state file recorded it. */
  clientConfig?: { path: string; context: string } | undefined;
}

/**
 * Destroy's step that removes the cluster's context from the client config create merged it into
 * (the state file says which, else `clientConfigPath` and the cluster's name), but only while it
 * still holds the client certificate create minted (from the cluster dir's stelectlconfig): a
 * context of that name the user made since is not ours to delete. A failure is reported, not
 * thrown: the rest of destroy still has to run. `showCurrent` adds which context is current now to
 * the progress line (the container provisioner's wording; the QEMU one reports the removal only).
 */
export function removeRecordedContext(
  state: RecordedContextTarget,
  options: { clientConfigPath?: string | undefined; progress: Progress; showCurrent: boolean },
): void {
  const path = state.clientConfig?.path ?? options.clientConfigPath;
  const context = state.clientConfig?.context ?? state.name;
  const crt = clusterClientCertificate(state.clusterDir, state.name);
  if (path === undefined || crt === undefined) return;
  try {
    const result = removeClusterContext(path, { context, crt });
    if (!result.removed) return;
    const current =
      !options.showCurrent || result.current === undefined
        ? ""
        : result.current === ""
          ? "; no context is current now"
          : `; current context: ${result.current}`;
    options.progress(`removed context ${context} from ${path}${current}`);
  } catch (error) {
    options.progress(`could not remove context ${context} from ${path}: ${(error as Error).message}`);
  }
}

/** The client certificate create minted for the cluster, from the cluster dir's stelectlconfig. */
function clusterClientCertificate(clusterDir: string, name: string): string | undefined {
  const path = join(clusterDir, "stelectlconfig");
  try {
    const config = parseClientConfig(readFileSync(path, "utf8"), { file: path });
    return config.contexts[name]?.crt ?? Object.values(config.contexts)[0]?.crt;
  } catch {
    return undefined;
  }
}
