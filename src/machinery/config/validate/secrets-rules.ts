import type { ConfigPath } from "../config-path.ts";
import { findDocument } from "../document-ref.ts";
import type { ConfigDocument } from "../schema/config-kinds.ts";
import type { ValidationRule } from "./validation-context.ts";

interface SecretField {
  document: ConfigDocument;
  path: ConfigPath;
  present: boolean;
  what: string;
  use: string;
}

const GEN_HINT =
  "regenerate the machine configs with `stelectl gen config` from the cluster's secrets bundle";

/**
 * Private keys per machine type: a control plane signs with every CA key and the service-account
 * key, so it must have them; a worker never signs, and a stolen worker must not leak the cluster's
 * keys, so it must not have any.
 */
export const machineTypeSecretsRule: ValidationRule = {
  id: "secrets-by-machine-type",
  description:
    "A control plane has the private keys of every CA and the service-account key; a worker has none of them (secrets do not belong on a worker).",
  check(context) {
    const machine = context.parsed.machineConfig;
    const cluster = findDocument(context.parsed.documents, "ClusterConfig");
    const fields: SecretField[] = [
      {
        document: machine,
        path: ["ca", "key"],
        present: machine.ca.key !== undefined,
        what: "the OS API CA private key",
        use: "apid and trustd sign API certificates with it",
      },
    ];
    if (cluster) {
      fields.push(
        {
          document: cluster,
          path: ["ca", "key"],
          present: cluster.ca.key !== undefined,
          what: "the Kubernetes CA private key",
          use: "it signs the Kubernetes certificates",
        },
        {
          document: cluster,
          path: ["aggregatorCA", "key"],
          present: cluster.aggregatorCA.key !== undefined,
          what: "the front-proxy CA private key",
          use: "it signs the API aggregation certificates",
        },
        {
          document: cluster,
          path: ["etcd", "ca", "key"],
          present: cluster.etcd.ca.key !== undefined,
          what: "the etcd CA private key",
          use: "it signs the etcd peer and client certificates",
        },
        {
          document: cluster,
          path: ["serviceAccount", "key"],
          present: cluster.serviceAccount.key !== undefined,
          what: "the service-account signing key",
          use: "kube-apiserver signs service-account tokens with it",
        },
      );
    }
    for (const field of fields) {
      if (machine.type === "controlplane" && !field.present) {
        context.report(field.document, {
          path: field.path,
          message: `missing: a control plane needs ${field.what} (${field.use})`,
          hint: `add it from the secrets bundle, or ${GEN_HINT}`,
        });
      } else if (machine.type === "worker" && field.present) {
        context.report(field.document, {
          path: field.path,
          at: "key",
          message: `secrets do not belong on a worker: remove ${field.what}`,
          hint: `a worker never signs with it, and a stolen worker must not leak it; ${GEN_HINT}`,
        });
      }
    }
    if (!cluster) return;
    if (machine.type === "controlplane" && cluster.secretboxEncryptionSecret === undefined) {
      context.report(cluster, {
        severity: "warning",
        path: ["secretboxEncryptionSecret"],
        message: "not set: Kubernetes Secrets will be stored unencrypted in etcd",
        hint: "set it to base64 of 32 random bytes (`openssl rand -base64 32`), the same on every control plane",
      });
    } else if (machine.type === "worker" && cluster.secretboxEncryptionSecret !== undefined) {
      context.report(cluster, {
        severity: "warning",
        path: ["secretboxEncryptionSecret"],
        at: "key",
        message: "set on a worker: only control planes use it, and a worker should not hold it",
        hint: `remove it from worker configs; ${GEN_HINT}`,
      });
    }
  },
};
