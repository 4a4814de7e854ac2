import { type ClientConfig, mintClientConfig } from "../../machinery/client/index.ts";
import { generateSecretsBundle, type SecretsBundle } from "../../machinery/pki/index.ts";
import {
  type ClusterConfigs,
  type ClusterPatches,
  generateClusterConfigs,
} from "../container/cluster-configs.ts";
import type { ClusterPlan } from "../container/cluster-plan.ts";
import type { Progress } from "../container/progress-reporter.ts";

/** What create makes before anything runs: the cluster's secrets, its machine configs and its admin client config. */
export interface ClusterMaterial {
  secrets: SecretsBundle;
  configs: ClusterConfigs;
  /** The admin context: endpoints are the control planes, the node is the first one. */
  client: ClientConfig;
}

/**
 * Generates a cluster's secrets, configs and admin client config, the first step of both
 * provisioners' create: a patch that does not apply fails here, before anything is built or made.
 * The QEMU provisioner passes its plan as the container one's (asContainerPlan): the configs and
 * the client config read only names, roles, addresses and the endpoint.
 */
export async function generateClusterMaterial(
  plan: ClusterPlan,
  options: { patches: ClusterPatches; progress: Progress },
): Promise<ClusterMaterial> {
  options.progress("generating secrets and machine configs…");
  const secrets = await generateSecretsBundle();
  const configs = generateClusterConfigs(plan, { secrets, patches: options.patches });
  const client = await mintClientConfig({
    osCA: secrets.certs.os,
    roles: ["os:admin"],
    contextName: plan.name,
    endpoints: plan.nodes.filter((node) => node.role === "controlplane").map((node) => node.address),
    nodes: [plan.nodes[0]!.address],
  });
  return { secrets, configs, client };
}
