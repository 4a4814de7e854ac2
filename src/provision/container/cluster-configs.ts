import { ConfigError } from "../../machinery/config/config-error.ts";
import { generateConfigs } from "../../machinery/config/generate-config.ts";
import { type ParsedConfig, parseConfig } from "../../machinery/config/parse-config.ts";
import { parsePatch } from "../../machinery/config/patch/parse-patch.ts";
import type { Patch } from "../../machinery/config/patch/patch.ts";
import { patchConfig } from "../../machinery/config/patch-config.ts";
import { serializeConfig } from "../../machinery/config/serialize-config.ts";
import { validateConfig } from "../../machinery/config/validate-config.ts";
import type { SecretsBundle } from "../../machinery/pki/index.ts";
import type { ClusterPlan, NodeRole } from "./cluster-plan.ts";

/** The patches of `cluster create`, as `gen config` takes them: for all, control planes, workers. */
export interface ClusterPatches {
  common: readonly Patch[];
  controlPlane: readonly Patch[];
  worker: readonly Patch[];
}

/** A cluster's configs: one per role (written to the cluster dir) and one per node. */
export interface ClusterConfigs {
  controlplane: string;
  worker: string;
  /** By node name: the role's config with `network.hostname` set to the node's name. */
  nodes: ReadonlyMap<string, string>;
}

/**
 * Generates a cluster's machine configs with the same machinery functions as `stelectl gen config`:
 * endpoint `https://<first control plane>:6443`, the user's patches (common, then per role), then
 * per node a patch naming its hostname, each result validated for the container platform. An
 * invalid patch fails here, before any node exists.
 */
export function generateClusterConfigs(
  plan: ClusterPlan,
  options: { secrets: SecretsBundle; patches: ClusterPatches },
): ClusterConfigs {
  const generated = generateConfigs({
    clusterName: plan.name,
    endpoint: plan.endpoint,
    secrets: options.secrets,
    kubernetesVersion: plan.kubernetesVersion,
  });
  const roleConfig = (role: NodeRole): ParsedConfig => {
    const file = `${role}.yaml`;
    const base = parseConfig(
      serializeConfig(generated[role] as unknown as Parameters<typeof serializeConfig>[0]),
      { file },
    );
    const typePatches = role === "controlplane" ? options.patches.controlPlane : options.patches.worker;
    return checked(patchConfig(base, [...options.patches.common, ...typePatches]));
  };
  const roles = { controlplane: roleConfig("controlplane"), worker: roleConfig("worker") };
  const nodes = new Map<string, string>();
  for (const node of plan.nodes) {
    const config = checked(
      patchConfig({ ...roles[node.role], file: `${node.name}.yaml` }, [hostnamePatch(node.name)]),
    );
    nodes.set(node.name, serializeConfig(config.documents));
  }
  return {
    controlplane: serializeConfig(roles.controlplane.documents),
    worker: serializeConfig(roles.worker.documents),
    nodes,
  };
}

function checked(config: ParsedConfig): ParsedConfig {
  const errors = validateConfig(config, { mode: "container" }).filter((issue) => issue.severity === "error");
  if (errors.length > 0) throw new ConfigError(errors);
  return config;
}

/** The per-node patch: the node's name as its hostname, so each node knows who it is from its first boot. */
function hostnamePatch(hostname: string): Patch {
  return parsePatch(`network:\n  hostname: ${hostname}\n`, { source: `the hostname patch of ${hostname}` });
}
