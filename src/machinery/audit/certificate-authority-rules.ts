import { findDocument, findDocuments } from "../config/document-ref.ts";
import type { AuditContext, AuditRule } from "./audit-rule.ts";
import { type CaSection, caSections } from "./ca-sections.ts";
import { fieldLabel } from "./field-label.ts";

const REGENERATE =
  "generate fresh secrets with `stelectl gen secrets` and the configs from them with `stelectl gen config`";

function sameWhat(a: CaSection, b: CaSection): string {
  return a.fingerprint !== undefined && a.fingerprint === b.fingerprint
    ? "the same certificate"
    : "the same key";
}

/**
 * The same CA (or the same key under another certificate) used for two of the OS API, Kubernetes,
 * etcd and front-proxy sections, or as the service-account key: whoever holds a certificate of one
 * section is then trusted by the other. Checked in each file, and across files, where a worker
 * built from the wrong bundle can mix the sections of its control plane.
 */
export const caReusedAcrossSectionsRule: AuditRule = {
  id: "ca-reused-across-sections",
  severity: "critical",
  title: "One CA serves two sections",
  why: "The seed requires the certificates of one section (e.g. etcd) to differ from another's (e.g. Kubernetes): with a shared CA, any client certificate of one section authenticates to the other, e.g. a kubelet's certificate opens etcd.",
  check(context) {
    const sections = caSections(context);
    sections.forEach((later, j) => {
      const earlier = sections.slice(0, j).find((s) => s.spki === later.spki);
      if (!earlier) return;
      context.report(later.document, {
        path: later.path,
        message: `the ${later.title} uses ${sameWhat(later, earlier)} as the ${earlier.title} (${context.describe(earlier.document, earlier.path)})`,
        fix: `give the ${later.title} its own: replace ${fieldLabel(later.document, later.path.slice(0, -1))} with a CA used nowhere else, or ${REGENERATE}`,
      });
    });
  },
  checkAcross(contexts) {
    const all = contexts.map((context) => caSections(context));
    contexts.forEach((context, f) => {
      for (const section of all[f]!) {
        const reported = new Set<string>();
        for (let g = 0; g < f; g++) {
          for (const other of all[g]!) {
            if (other.name === section.name || other.spki !== section.spki || reported.has(other.name))
              continue;
            // Already reported inside one file: this file, or the other, holds both sections with this key.
            const inThisFile = all[f]!.some((s) => s.name === other.name && s.spki === section.spki);
            const inOtherFile = all[g]!.some((s) => s.name === section.name && s.spki === section.spki);
            if (inThisFile || inOtherFile) continue;
            reported.add(other.name);
            context.report(section.document, {
              path: section.path,
              message: `the ${section.title} uses ${sameWhat(section, other)} as the ${other.title} in ${contexts[g]!.parsed.file} (${contexts[g]!.describe(other.document, other.path)})`,
              fix: `take every CA of ${context.parsed.file} from the same secrets bundle as ${contexts[g]!.parsed.file}, section for section; ${REGENERATE} if unsure`,
            });
          }
        }
      }
    });
  },
};

/** The cluster a file belongs to: its ClusterConfig id (unique per cluster), else undefined. */
function clusterIdentity(context: AuditContext): { id: string; name: string } | undefined {
  const cluster = findDocument(context.parsed.documents, "ClusterConfig");
  return cluster ? { id: cluster.id, name: cluster.clusterName } : undefined;
}

/**
 * The same CA or key in files of two different clusters (told apart by ClusterConfig id): a
 * certificate issued for one cluster is then valid in the other.
 */
export const caReusedAcrossClustersRule: AuditRule = {
  id: "ca-reused-across-clusters",
  severity: "high",
  title: "Two clusters share a CA",
  why: "The seed requires each cluster to have its own pool of certificates: with a shared CA, an administrator or a stolen certificate of one cluster is trusted by the other.",
  checkAcross(contexts) {
    const all = contexts.map((context) => ({
      identity: clusterIdentity(context),
      sections: caSections(context),
    }));
    contexts.forEach((context, f) => {
      const mine = all[f]!;
      if (!mine.identity) return;
      for (const section of mine.sections) {
        for (let g = 0; g < f; g++) {
          const theirs = all[g]!;
          if (!theirs.identity || theirs.identity.id === mine.identity.id) continue;
          const other = theirs.sections.find((s) => s.spki === section.spki);
          if (!other) continue;
          context.report(section.document, {
            path: section.path,
            message: `the ${section.title} of cluster ${JSON.stringify(mine.identity.name)} uses ${sameWhat(section, other)} as the ${other.title} of cluster ${JSON.stringify(theirs.identity.name)} in ${contexts[g]!.parsed.file}`,
            fix: `give each cluster its own secrets bundle: ${REGENERATE} for one of them`,
          });
          break;
        }
      }
    });
  },
};

/**
 * With `requireCompanyCA`: the OS CA is self-signed and no TrustedRootsConfig adds the company's
 * root, i.e. the node's API trust is not anchored in the company's PKI at all.
 */
export const companyCaMissingRule: AuditRule = {
  id: "company-ca-missing",
  severity: "high",
  title: "OS CA not from the company PKI (policy requireCompanyCA)",
  why: "The seed recommends issuing the node certificates from the company's certificate and adding the company's CA to every node, so that revocation, audit and key custody follow the company's PKI rather than a CA generated outside it.",
  check(context) {
    if (!context.policy.requireCompanyCA) return;
    const machine = context.parsed.machineConfig;
    const entry = context.pem.find(
      (e) => e.document === machine && e.block === 1 && e.path.join(".") === "ca.crt",
    );
    if (entry?.content.kind !== "certificate" || !entry.content.info.selfSigned) return;
    if (findDocuments(context.parsed.documents, "TrustedRootsConfig").length > 0) return;
    context.report(machine, {
      path: ["ca", "crt"],
      message: `the OS CA ${JSON.stringify(entry.content.info.commonName)} is self-signed and no TrustedRootsConfig adds the company CA`,
      fix: "issue the OS CA from the company CA and generate the secrets with it as the OS CA, and add the company root in a TrustedRootsConfig document (`name: company`, `certificates: |` with its PEM)",
    });
  },
};
