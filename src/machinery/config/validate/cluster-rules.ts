import { isSteleError } from "../../errors.ts";
import { findDocument } from "../document-ref.ts";
import { resolveKubernetesVersion } from "../kubernetes-version.ts";
import type { ValidationRule } from "./validation-context.ts";

/** Every machine belongs to a cluster: without a ClusterConfig it has nothing to join. */
export const clusterConfigPresentRule: ValidationRule = {
  id: "cluster-config-present",
  description:
    "A ClusterConfig document is present: every machine, control plane or worker, joins a cluster.",
  check(context) {
    if (findDocument(context.parsed.documents, "ClusterConfig")) return;
    context.report("file", {
      path: [],
      message: "no ClusterConfig document: every machine needs one to join its cluster",
      hint: "generate configs with `stelectl gen config`, which writes the ClusterConfig beside the MachineConfig",
    });
  },
};

/** The Kubernetes version is one this release supports (the three latest minors). */
export const kubernetesVersionRule: ValidationRule = {
  id: "kubernetes-version",
  description:
    "`kubernetesVersion` is `MAJOR.MINOR[.PATCH]` (optionally with a `v`) of a minor this Stele release supports: the three latest.",
  check(context) {
    const cluster = findDocument(context.parsed.documents, "ClusterConfig");
    if (!cluster) return;
    try {
      resolveKubernetesVersion(cluster.kubernetesVersion);
    } catch (error) {
      if (!isSteleError(error)) throw error;
      context.report(cluster, { path: ["kubernetesVersion"], message: error.message, hint: error.hint });
    }
  },
};
