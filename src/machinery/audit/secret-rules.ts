import type { ConfigPath } from "../config/config-path.ts";
import { findDocument } from "../config/document-ref.ts";
import type { ConfigDocument } from "../config/schema/config-kinds.ts";
import type { AuditContext, AuditRule } from "./audit-rule.ts";
import { fieldLabel } from "./field-label.ts";

interface SecretField {
  document: ConfigDocument;
  path: ConfigPath;
  what: string;
}

/** The fields holding the cluster's signing secrets, present or not. */
function secretFields(context: AuditContext): Array<SecretField & { present: boolean }> {
  const machine = context.parsed.machineConfig;
  const fields: Array<SecretField & { present: boolean }> = [
    {
      document: machine,
      path: ["ca", "key"],
      what: "the OS API CA private key",
      present: machine.ca.key !== undefined,
    },
  ];
  const cluster = findDocument(context.parsed.documents, "ClusterConfig");
  if (cluster) {
    fields.push(
      {
        document: cluster,
        path: ["ca", "key"],
        what: "the Kubernetes CA private key",
        present: cluster.ca.key !== undefined,
      },
      {
        document: cluster,
        path: ["aggregatorCA", "key"],
        what: "the front-proxy CA private key",
        present: cluster.aggregatorCA.key !== undefined,
      },
      {
        document: cluster,
        path: ["etcd", "ca", "key"],
        what: "the etcd CA private key",
        present: cluster.etcd.ca.key !== undefined,
      },
      {
        document: cluster,
        path: ["serviceAccount", "key"],
        what: "the service-account signing key",
        present: cluster.serviceAccount.key !== undefined,
      },
      {
        document: cluster,
        path: ["secretboxEncryptionSecret"],
        what: "the key that encrypts Secrets at rest",
        present: cluster.secretboxEncryptionSecret !== undefined,
      },
    );
  }
  return fields;
}

function samePath(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}

/** Every string of a document with its path, for finding copies of secrets in free text. */
function* strings(value: unknown, path: ConfigPath = []): Generator<[ConfigPath, string]> {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, [...path, i]);
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) yield* strings(item, [...path, key]);
  }
}

const REGENERATE =
  "regenerate the worker config with `stelectl gen config` (workers get CA certificates only)";

/**
 * A worker holding a CA private key, the service-account key or the encryption-at-rest key. In one
 * file: the secret fields themselves. Across files: a control plane's signing key pasted anywhere
 * else in a worker's config (a file written at boot, a manifest), which no single file reveals.
 */
export const secretOnWorkerRule: AuditRule = {
  id: "secret-on-worker",
  severity: "critical",
  title: "A worker holds a cluster secret",
  why: "A worker never signs anything, and workers are the nodes that run untrusted workloads: a CA or service-account key there lets whoever breaks out of one pod mint cluster-admin identities or node certificates.",
  check(context) {
    if (context.parsed.machineConfig.type !== "worker") return;
    for (const field of secretFields(context)) {
      if (!field.present) continue;
      context.report(field.document, {
        path: field.path,
        at: "key",
        message: `a worker config holds ${field.what} (${fieldLabel(field.document, field.path)})`,
        fix: `remove ${fieldLabel(field.document, field.path)} from the worker config; ${REGENERATE}`,
      });
    }
  },
  checkAcross(contexts) {
    const controlPlanes = contexts.filter((c) => c.parsed.machineConfig.type === "controlplane");
    const keys = new Map<string, string>();
    const secretTexts = new Map<string, string>();
    for (const cp of controlPlanes) {
      for (const field of secretFields(cp)) {
        if (!field.present) continue;
        const where = `${field.what} of ${cp.parsed.file}`;
        const entry = cp.pem.find((e) => e.document === field.document && samePath(e.path, field.path));
        if (entry?.content.kind === "private-key") keys.set(entry.content.key.spki, where);
        const cluster = findDocument(cp.parsed.documents, "ClusterConfig");
        if (field.path[0] === "secretboxEncryptionSecret" && cluster?.secretboxEncryptionSecret) {
          secretTexts.set(cluster.secretboxEncryptionSecret, where);
        }
      }
    }
    for (const worker of contexts) {
      if (worker.parsed.machineConfig.type !== "worker") continue;
      const ownFields = secretFields(worker);
      const isOwnField = (document: ConfigDocument, path: ConfigPath) =>
        ownFields.some((f) => f.document === document && samePath(f.path, path));
      const reported = new Set<string>();
      for (const entry of worker.pem) {
        if (entry.content.kind !== "private-key" || isOwnField(entry.document, entry.path)) continue;
        const what = keys.get(entry.content.key.spki);
        if (!what) continue;
        reported.add(`${fieldLabel(entry.document, entry.path)}`);
        worker.report(entry.document, {
          path: entry.path,
          message: `a worker config holds a copy of ${what} in ${fieldLabel(entry.document, entry.path)}`,
          fix: `remove the key from ${fieldLabel(entry.document, entry.path)}; workers must never receive control-plane keys`,
        });
      }
      if (secretTexts.size === 0) continue;
      for (const document of worker.parsed.documents) {
        for (const [path, text] of strings(document)) {
          if (isOwnField(document, path) || reported.has(fieldLabel(document, path))) continue;
          for (const [secret, what] of secretTexts) {
            if (!text.includes(secret)) continue;
            worker.report(document, {
              path,
              message: `a worker config holds a copy of ${what} in ${fieldLabel(document, path)}`,
              fix: `remove it from ${fieldLabel(document, path)}; only control planes hold the encryption-at-rest key`,
            });
          }
        }
      }
    }
  },
};
